/**
 * `String.prototype.toWellFormed` (ES2024; the project targets ES2023): a lone surrogate becomes U+FFFD. Slack's
 * form encoding (node:querystring) would otherwise merge a lone high surrogate with the next character.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
