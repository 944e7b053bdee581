import { styleNames } from '../config/load.js';
import type { BotContext } from './context.js';
import { failed, note } from './replies.js';
import type { Actor, Place, Reply } from './types.js';
import { own as ownKey } from '../util/own.js';

/** `/restyle map STYLE`: admins map the channel they are in. */
export async function mapChannel(ctx: BotContext, input: { actor: Actor; place: Place; style: string }): Promise<Reply> {
  const refused = refuseMapping(ctx, input.actor, input.place);
  if (refused) return refused;
  try {
    const mapping = await ctx.restyler.channels.set(input.place.key, input.style, input.actor.key);
    const model = ownKey(ctx.settings.styles, input.style)?.model;
    return note(`Mapped: replies and /restyle in this channel now use style \`${mapping.style}\`${model ? ` (model \`${model}\`)` : ''}.`);
  } catch (error) {
    return failed('Not mapped', error);
  }
}

/** `/restyle unmap`: stop styling in this channel (also overrides a mapping from the config file). */
export async function unmapChannel(ctx: BotContext, input: { actor: Actor; place: Place }): Promise<Reply> {
  const refused = refuseMapping(ctx, input.actor, input.place);
  if (refused) return refused;
  try {
    const before = await ctx.restyler.channels.get(input.place.key);
    if (!before || before.style === null) return note('This channel has no style mapped; nothing to unmap.');
    await ctx.restyler.channels.unset(input.place.key, input.actor.key);
    return note(`Unmapped: this channel no longer uses style \`${before.style}\`.`);
  } catch (error) {
    return failed('Not unmapped', error);
  }
}

/** `/restyle styles`: every style, its model, and which one applies here. */
export async function listStyles(ctx: BotContext, input: { place: Place }): Promise<Reply> {
  const names = styleNames(ctx.settings);
  if (names.length === 0) return note('No styles are configured yet (add one under styles: in the config).');
  const here = (await ctx.restyler.resolveStyle({ channel: input.place.key }))?.name;
  const lines = names.map((name) => {
    const s = ctx.settings.styles[name]!;
    return `• \`${name}\`: model \`${s.model}\`${s.description ? ` (${s.description})` : ''}${name === here ? ' ← this channel' : ''}`;
  });
  return note(`Styles:\n${lines.join('\n')}`);
}

/** `/restyle status`: the style here, its model, and this channel's corpus counts. */
export async function channelStatus(ctx: BotContext, input: { place: Place }): Promise<Reply> {
  const { place } = input;
  const own = await ctx.restyler.channels.get(place.key);
  const mapping = own && own.style !== null ? own : await ctx.restyler.channels.resolve(place.key);
  const counts = await ctx.samples.counts({ channel: place.key });
  const corpus = `samples from this channel: ${counts.pending} pending, ${counts.approved} approved, ${counts.rejected} rejected`;
  if (!mapping || mapping.style === null) return note(`No style in this channel; ${corpus}.`);
  const style = ownKey(ctx.settings.styles, mapping.style);
  const how = mapping !== own ? 'the default style' : own.source === 'config' ? 'mapped in the config file' : `mapped in chat${own.by ? ` by ${own.by}` : ''}`;
  const total = await ctx.samples.counts({ style: mapping.style });
  return note(
    `Style here: \`${mapping.style}\` (${how}), model \`${style?.model ?? 'unknown'}\`; ${corpus}; ` +
      `style \`${mapping.style}\` overall: ${total.approved} approved, ${total.pending} pending.`,
  );
}

function refuseMapping(ctx: BotContext, actor: Actor, place: Place): Reply | null {
  const inChannel = ctx.permissions.inChannel(place);
  if (!inChannel.ok) return note(`Not allowed: ${inChannel.reason}.`);
  const allowed = ctx.permissions.canMap(actor);
  return allowed.ok ? null : note(`Not allowed: ${allowed.reason}.`);
}
