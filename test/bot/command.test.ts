import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/bot/command.js';

describe('parseCommand', () => {
  it('reads subcommands only in their exact shape', () => {
    expect(parseCommand('map pirate')).toEqual({ kind: 'map', style: 'pirate' });
    expect(parseCommand('  status ')).toEqual({ kind: 'status' });
    expect(parseCommand('')).toEqual({ kind: 'help' });
    expect(parseCommand('HELP')).toEqual({ kind: 'help' });
    expect(parseCommand('help is on the way')).toEqual({ kind: 'restyle', text: 'help is on the way' });
    expect(parseCommand('map')).toEqual({ kind: 'restyle', text: 'map' });
    expect(parseCommand('map the route north')).toEqual({ kind: 'restyle', text: 'map the route north' });
  });

  it('takes style=NAME from either end and keeps the text intact', () => {
    expect(parseCommand('style=pirate Your order\n\nshipped.')).toEqual({ kind: 'restyle', style: 'pirate', text: 'Your order\n\nshipped.' });
    expect(parseCommand('Your order shipped. style=quiet')).toEqual({ kind: 'restyle', style: 'quiet', text: 'Your order shipped.' });
    expect(parseCommand('the style=odd token inside')).toEqual({ kind: 'restyle', text: 'the style=odd token inside' });
  });
});
