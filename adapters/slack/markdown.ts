/**
 * Answer models write Markdown; Slack's `text` field is mrkdwn, which shows `**bold**`, `[label](url)` and
 * `# Heading` literally. This converts the common forms for posts that are not streamed (streamed replies use
 * Slack's own Markdown support, `markdown_text`). Code fences and inline code are never touched; tables,
 * which mrkdwn cannot lay out, become a code block so their columns line up.
 */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

export function markdownToMrkdwn(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      // Copy the fence through to its closing line, untouched.
      out.push(line);
      const marker = fence[1]!;
      while (++i < lines.length) {
        out.push(lines[i]!);
        if (lines[i]!.trim().startsWith(marker[0]!.repeat(marker.length)) && lines[i]!.trim().replace(/[`~]/g, '') === '') break;
      }
      continue;
    }
    if (TABLE_ROW.test(line) && TABLE_RULE.test(lines[i + 1] ?? '')) {
      const table: string[] = [];
      while (i < lines.length && TABLE_ROW.test(lines[i]!)) table.push(lines[i++]!);
      i -= 1;
      out.push('```', ...table, '```');
      continue;
    }
    out.push(convertLine(line));
  }
  return out.join('\n');
}

/** One line outside code fences: headings, then inline forms outside `code` spans. */
function convertLine(line: string): string {
  const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return heading[1] ? `*${stripBold(convertInline(heading[1]))}*` : line;
  return convertInline(line);
}

function convertInline(text: string): string {
  // Odd pieces are inline code spans: left exactly as they are.
  return text
    .split(/(`+[^`]*`+)/)
    .map((piece, i) => (i % 2 === 1 ? piece : convertProse(piece)))
    .join('');
}

function convertProse(text: string): string {
  const BOLD = '\u0000';
  return (
    text
      // [label](https://…) → <https://…|label>
      .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => `<${url}|${label.replace(/[<>|]/g, '')}>`)
      // **bold** / __bold__ → *bold* (held as a marker while single * becomes _)
      .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, `${BOLD}$1${BOLD}`)
      .replace(/__(?=\S)([^_\n]*?\S)__/g, `${BOLD}$1${BOLD}`)
      // *italic* → _italic_ (not a "* " list bullet)
      .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1_$2_')
      .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '~$1~')
      .replaceAll(BOLD, '*')
  );
}

function stripBold(text: string): string {
  return text.replace(/^\*(.*)\*$/, '$1');
}
