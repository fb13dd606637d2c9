// Safe Slack mrkdwn. Slack treats `<…>` as control sequences (links, @mentions, @channel, dates), so
// untrusted text (commit titles, branch names, workflow names) must have `&`, `<` and `>` escaped to
// show literally. Slack asks for exactly these three escapes; escaping more would show stray entities.

/** Escapes `&`, `<` and `>` so the text cannot ping anyone or forge a link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export const ELLIPSIS = "…";

/**
 * Cuts `text` to at most `max` characters, ending in a visible ellipsis when it was cut.
 * Counts UTF-16 code units (what Slack's limits count) and never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (!Number.isInteger(max) || max < 1) throw new RangeError("truncate: max must be a positive integer");
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * Escapes then truncates without cutting an entity such as `&amp;` in half, so the limit applies to
 * what is sent to Slack (which counts the escaped form).
 */
export function escapeAndTruncate(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let cut = truncate(escaped, max).slice(0, -ELLIPSIS.length);
  const amp = cut.lastIndexOf("&");
  if (amp !== -1 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  return `${cut}${ELLIPSIS}`;
}

/** The first line of a (commit) message, trimmed. */
export function firstLine(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? "").trim();
}

/** True for an absolute http(s) URL that can sit inside `<url|label>` without breaking out of it. */
export function isSafeLinkUrl(url: string): boolean {
  if (/[|<>\s]/.test(url)) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * A mrkdwn link whose label is escaped. Refuses (throws) URLs that are not http(s) or that contain
 * characters able to end the link early, since those are only ever programming errors or attacks.
 */
export function link(url: string, label: string): string {
  if (!isSafeLinkUrl(url)) throw new TypeError("link: refusing an unsafe or non-http(s) URL");
  // `&` in the URL must be escaped like any other text; Slack unescapes it before opening the link.
  return `<${url.replace(/&/g, "&amp;")}|${escapeMrkdwn(label)}>`;
}

/** A mrkdwn link, or the escaped label alone when the URL is not safe to link. */
export function linkOrText(url: string | undefined, label: string): string {
  return url !== undefined && isSafeLinkUrl(url) ? link(url, label) : escapeMrkdwn(label);
}
