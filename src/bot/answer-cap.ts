/**
 * The longest answer the bot posts. An answer model stuck in a loop (or a webhook that never stops) would
 * otherwise fill the thread with message after message: past the cap the answer is cut, with a note, and a
 * streamed one stops there, which cancels the upstream call.
 */

/** What ends an answer cut at `maxChars`. */
export function cutNote(maxChars: number): string {
  return `\n\n… (answer cut at ${maxChars.toLocaleString('en-US')} characters)`;
}

/** `text` itself, or its first `maxChars` characters (never half a surrogate pair) and the note. */
export function capText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, safeCut(text, maxChars))}${cutNote(maxChars)}`;
}

/** The deltas until they add up to `maxChars`; then the part that fits, the note, and the end of the stream. */
export async function* capDeltas(deltas: AsyncIterable<string>, maxChars: number): AsyncGenerator<string, void, undefined> {
  let sent = 0;
  for await (const delta of deltas) {
    if (sent + delta.length > maxChars) {
      // Returning here ends the for-await, which closes the upstream iterator (and its request).
      yield `${delta.slice(0, safeCut(delta, maxChars - sent))}${cutNote(maxChars)}`;
      return;
    }
    sent += delta.length;
    yield delta;
  }
}

/** `at`, or one less when that would split a surrogate pair. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 0 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
