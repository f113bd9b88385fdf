// A small Markdown renderer for Omnify's own documents (the legal texts, the
// partner guide): headings, paragraphs, lists, tables and code blocks, as
// React elements, never as HTML.
import type { ReactNode } from 'react';

function inline(text: string): ReactNode[] {
  // `code`, **bold** and <links>; everything else is text.
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*|<https?:\/\/[^>]+>)/g).map((part, i) => {
    if (part.startsWith('`') && part.endsWith('`')) return <code key={i}>{part.slice(1, -1)}</code>;
    if (part.startsWith('**') && part.endsWith('**')) return <strong key={i}>{part.slice(2, -2)}</strong>;
    if (part.startsWith('<http') && part.endsWith('>')) return <span key={i}>{part.slice(1, -1)}</span>;
    return part;
  });
}

/** Renders the guide's Markdown: headings, paragraphs, lists, tables and code blocks. */
export function Markdown({ source, className = 'omnify-guide' }: { source: string; className?: string }) {
  const out: ReactNode[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      i++;
      out.push(<pre key={out.length} className="omnify-guide-code">{body.join('\n')}</pre>);
    } else if (/^#{1,4} /.test(line)) {
      const level = line.indexOf(' ');
      const Tag = (`h${Math.min(level + 1, 5)}`) as 'h2';
      out.push(<Tag key={out.length}>{inline(line.slice(level + 1))}</Tag>);
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) {
        if (/^\|\s*-/.test(lines[i])) continue;
        rows.push(lines[i].slice(1, -1).split(' | ').map((c) => c.trim()));
      }
      out.push(
        <table key={out.length}>
          <thead>
            <tr>{rows[0].map((c, j) => <th key={j}>{inline(c)}</th>)}</tr>
          </thead>
          <tbody>
            {rows.slice(1).map((r, k) => (
              <tr key={k}>{r.map((c, j) => <td key={j}>{inline(c)}</td>)}</tr>
            ))}
          </tbody>
        </table>,
      );
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      for (; i < lines.length && (lines[i].startsWith('- ') || lines[i].startsWith('  ')); i++) {
        if (lines[i].startsWith('- ')) items.push(lines[i].slice(2));
        else items[items.length - 1] += ` ${lines[i].trim()}`;
      }
      out.push(<ul key={out.length}>{items.map((it, j) => <li key={j}>{inline(it)}</li>)}</ul>);
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      for (; i < lines.length && lines[i].trim() !== '' && !/^(#|\||```|- )/.test(lines[i]); i++) para.push(lines[i]);
      out.push(<p key={out.length}>{inline(para.join(' '))}</p>);
    }
  }
  return <div className={className}>{out}</div>;
}
