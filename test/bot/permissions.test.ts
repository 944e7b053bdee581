import { describe, expect, it } from 'vitest';
import { Permissions } from '../../src/bot/permissions.js';
import type { Actor, Place } from '../../src/bot/types.js';

const actor = (key: string, extra: Partial<Actor> = {}): Actor => ({ key, platform: key.split(':')[0]!, id: key.split(':')[1]!, ...extra });
const place = (key: string): Place => ({ key, platform: key.split(':')[0]!, channelId: key.split(':')[1]! });

describe('Permissions', () => {
  const p = new Permissions({ admins: ['slack:UADMIN'], reviewers: ['slack:UREV'], adminRoles: ['r-admin'], reviewerRoles: ['r-rev'], allowChannels: ['slack:C1'] });

  it('lets platform admins, configured admins and admin roles map; refuses others with the reason', () => {
    expect(p.canMap(actor('slack:UX', { isPlatformAdmin: true })).ok).toBe(true);
    expect(p.canMap(actor('slack:UADMIN')).ok).toBe(true);
    expect(p.canMap(actor('discord:9', { roles: ['r-admin'] })).ok).toBe(true);
    const no = p.canMap(actor('slack:UX'));
    expect(no).toEqual({ ok: false, reason: expect.stringMatching(/workspace admins.*bot\.adminRoles.*bot\.admins.*slack:UX/) });
    expect(p.canMap(actor('discord:9'))).toMatchObject({ reason: expect.stringMatching(/Manage Server/) });
  });

  it('lets only reviewers review', () => {
    expect(p.canReview(actor('slack:UREV')).ok).toBe(true);
    expect(p.canReview(actor('discord:1', { roles: ['r-rev'] })).ok).toBe(true);
    expect(p.canReview(actor('slack:UADMIN', { isPlatformAdmin: true }))).toMatchObject({ ok: false, reason: expect.stringMatching(/bot\.reviewers/) });
  });

  it('acts only in allowed channels when a list is set', () => {
    expect(p.inChannel(place('slack:C1')).ok).toBe(true);
    expect(p.inChannel(place('slack:C2'))).toMatchObject({ ok: false, reason: expect.stringMatching(/slack:C2.*bot\.allowChannels/) });
    expect(new Permissions({ admins: [], reviewers: [], adminRoles: [], reviewerRoles: [] }).inChannel(place('slack:C2')).ok).toBe(true);
  });
});
