import * as z from 'zod';

/**
 * The neutral shapes a Discord job stores (computed from the gateway event at intake, so the job needs no
 * discord.js cache): validated when the job runs, since the payload may come from another version.
 */
export const actorPayload = z.object({
  key: z.string().min(1),
  platform: z.string().min(1),
  id: z.string().min(1),
  name: z.string().optional(),
  isPlatformAdmin: z.boolean().optional(),
  roles: z.array(z.string()).readonly().optional(),
});

export const placePayload = z.object({
  key: z.string().min(1),
  platform: z.string().min(1),
  channelId: z.string().min(1),
  thread: z.string().min(1).optional(),
  isDirect: z.boolean().optional(),
});

export const messagePayload = z.object({
  place: placePayload,
  messageId: z.string().min(1),
  text: z.string(),
  author: z.string().optional(),
  fromBot: z.boolean().optional(),
});
