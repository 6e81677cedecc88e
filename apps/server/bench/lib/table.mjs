/** A bench result as a Markdown table, ready to paste into docs/benchmarks.md. */
export function markdownTable({ title, columns, rows, notes = [] }) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    `### ${title}`,
    '',
    line(columns),
    line(columns.map(() => '---')),
    ...rows.map(line),
    ...(notes.length ? ['', ...notes.map((note) => `- ${note}`)] : []),
    '',
  ].join('\n');
}
