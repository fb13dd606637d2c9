// The pages the fakes serve to a person (GitHub's App registration and sign-in, Slack's install): a
// plain HTML document around the page's own markup, with every text put in it escaped.
import type { ServerResponse } from "node:http";

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/**
 * Answers with a page titled `title` around `body` (markup, escaped by the caller). `style` adds a
 * style sheet and makes the page fit a phone; `noStore` keeps it out of the browser's cache.
 */
export function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  options: { style?: string; noStore?: boolean } = {},
): void {
  const head = options.style
    ? `<meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,"><style>${options.style}</style>`
    : `<title>${escapeHtml(title)}</title><link rel="icon" href="data:,">`;
  res
    .writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      ...(options.noStore ? { "cache-control": "no-store" } : {}),
    })
    .end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}
