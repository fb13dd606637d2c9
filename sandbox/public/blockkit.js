// Renders Slack Block Kit and mrkdwn the way Slack's client shows them, from the exact JSON the
// Action and the App sent. Everything is HTML-escaped before any markup is added.

// Drawn as inline SVG (no font needed: colour emoji fonts are often missing on Linux, and rare
// symbols show as empty boxes), in coloured badges close to Slack's emoji.
const SVG_PATHS = {
  check:
    '<path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>',
  cross:
    '<path d="M4.5 4.5l7 7M11.5 4.5l-7 7" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>',
  hourglass:
    '<path d="M4.5 2.5h7M4.5 13.5h7M5.5 2.5c0 3 5 3.5 5 5.5s-5 2.5-5 5.5M10.5 2.5c0 3-5 3.5-5 5.5s5 2.5 5 5.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/>',
  clock:
    '<circle cx="8" cy="8" r="5.75" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 4.75V8l2.25 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/>',
  pencil:
    '<path d="M3 13l.75-3L10.5 3.25 12.75 5.5 6 12.25z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>',
  circle: '<circle cx="8" cy="8" r="5.25" fill="none" stroke="currentColor" stroke-width="1.6"/>',
  warning:
    '<path d="M8 2.5l6 11H2z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/><path d="M8 6.5v3.25M8 11.75v.25" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/>',
  question:
    '<path d="M5.75 6a2.25 2.25 0 114 1.5c-.75.6-1.75 1-1.75 2.25M8 12.25v.25" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/>',
  lock: '<rect x="3.75" y="7" width="8.5" height="6.5" rx="1.25" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M5.75 7V5.25a2.25 2.25 0 014.5 0V7" fill="none" stroke="currentColor" stroke-width="1.5"/>',
  arrow:
    '<path d="M4.5 11.5l7-7M6.5 4.5h5v5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>',
  star: '<path d="M8 2.25l1.7 3.6 3.9.45-2.9 2.7.8 3.85L8 10.9l-3.5 1.95.8-3.85-2.9-2.7 3.9-.45z" fill="currentColor"/>',
  people:
    '<circle cx="6" cy="5.75" r="2.25" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M2 13c0-2.5 1.8-3.75 4-3.75s4 1.25 4 3.75" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M10.5 4a2 2 0 110 3.75M12 9.5c1.25.5 2 1.6 2 3.5" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round"/>',
  plus: '<path d="M8 3.5v9M3.5 8h9" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  box: '<path d="M2.75 5L8 2.5 13.25 5v6L8 13.5 2.75 11zM2.75 5L8 7.5 13.25 5M8 7.5v6" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/>',
  rewind: '<path d="M7.5 4L3 8l4.5 4zM13 4L8.5 8l4.5 4z" fill="currentColor"/>',
  repeat:
    '<path d="M3.5 7V6a2 2 0 012-2h7M10.5 2l2 2-2 2M12.5 9v1a2 2 0 01-2 2h-7M5.5 14l-2-2 2-2" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>',
  bell: '<path d="M4 11.5V7.5a4 4 0 018 0v4l1 1H3zM6.75 13.75a1.4 1.4 0 002.5 0" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/>',
  info: '<circle cx="8" cy="8" r="5.75" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 7.25v4M8 4.75v.25" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
  eye: '<path d="M1.75 8S4.25 3.75 8 3.75 14.25 8 14.25 8 11.75 12.25 8 12.25 1.75 8 1.75 8z" fill="none" stroke="currentColor" stroke-width="1.4"/><circle cx="8" cy="8" r="2" fill="currentColor"/>',
};

/** An inline SVG icon, sized to the text around it. */
export function icon(name) {
  return `<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">${SVG_PATHS[name] ?? SVG_PATHS.circle}</svg>`;
}

const EMOJI = {
  white_check_mark: ["check", "check"],
  heavy_check_mark: ["check", "check"],
  x: ["cross", "cross"],
  no_entry: ["cross", "cross"],
  hourglass_flowing_sand: ["hourglass", "wait"],
  hourglass: ["hourglass", "wait"],
  alarm_clock: ["clock", "wait"],
  memo: ["pencil", "note"],
  white_circle: ["circle", "neutral"],
  grey_question: ["question", "neutral"],
  question: ["question", "neutral"],
  warning: ["warning", "wait"],
  lock: ["lock", "neutral"],
  rocket: ["arrow", "check"],
  tada: ["star", "check"],
  // What an approver sees before clicking, and what GitHub did meanwhile (app/sentences.ts).
  busts_in_silhouette: ["people", "neutral"],
  new: ["plus", "note"],
  package: ["box", "note"],
  rewind: ["rewind", "wait"],
  repeat: ["repeat", "neutral"],
  ballot_box_with_check: ["check", "wait"],
  bell: ["bell", "wait"],
  information_source: ["info", "note"],
  twisted_rightwards_arrows: ["arrow", "neutral"],
};

export function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Slack escapes exactly &, < and > in message text. */
function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function isSafeUrl(url) {
  return /^https?:\/\//i.test(url) || /^mailto:/i.test(url);
}

function pad(n) {
  return String(n).padStart(2, "0");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `<!date^seconds^format|fallback>` in the viewer's time zone. */
function formatDate(seconds, format) {
  const date = new Date(seconds * 1000);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  const sameDay = (a, b) => a.toDateString() === b.toDateString();
  const pretty = sameDay(date, today)
    ? "Today"
    : sameDay(date, yesterday)
      ? "Yesterday"
      : `${MONTHS[date.getMonth()]} ${date.getDate()}`;
  const tokens = {
    date_num: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    date: `${MONTHS[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}`,
    date_short: `${MONTHS[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}`,
    date_long: date.toDateString(),
    date_pretty: pretty,
    date_short_pretty: pretty,
    date_long_pretty: pretty,
    time: `${pad(date.getHours())}:${pad(date.getMinutes())}`,
    time_secs: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
  };
  return format.replace(/\{(\w+)\}/g, (whole, name) => tokens[name] ?? whole);
}

/** One `<…>` control sequence: links, mentions, special mentions and dates. */
function controlSequence(inner, ctx) {
  const bar = inner.indexOf("|");
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = ctx.users?.[id] ?? label ?? id;
    return `<span class="mention" title="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    return `<span class="mention">#${escapeHtml(label ?? target.slice(1))}</span>`;
  }
  if (target.startsWith("!subteam^")) {
    const id = target.slice("!subteam^".length);
    const handle = ctx.groups?.[id] ?? label?.replace(/^@/, "") ?? id;
    return `<span class="mention" title="${escapeHtml(id)}">@${escapeHtml(handle)}</span>`;
  }
  if (target.startsWith("!date^")) {
    const [, seconds, format] = target.split("^");
    const n = Number(seconds);
    if (!Number.isFinite(n)) return escapeHtml(unescapeSlack(label ?? ""));
    return `<time title="${escapeHtml(unescapeSlack(label ?? ""))}">${escapeHtml(formatDate(n, format ?? "{date_short}"))}</time>`;
  }
  if (target === "!here" || target === "!channel" || target === "!everyone") {
    return `<span class="mention">@${target.slice(1)}</span>`;
  }
  const url = unescapeSlack(target);
  const text = label === undefined ? url : unescapeSlack(label);
  if (!isSafeUrl(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

/** Bold, italic and strike in plain (already escaped) text; Slack wants them at word boundaries. */
function styles(html) {
  const wrap = (marker) =>
    new RegExp(
      `(^|[\\s(\\[{"'>])\\${marker}([^\\s${marker}](?:[^${marker}\\n]*?[^\\s${marker}])?)\\${marker}(?=$|[\\s.,!?;:)\\]}"'<])`,
      "g",
    );
  return html
    .replace(wrap("*"), "$1<b>$2</b>")
    .replace(wrap("_"), "$1<i>$2</i>")
    .replace(wrap("~"), "$1<s>$2</s>");
}

function emoji(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => {
    const known = EMOJI[name];
    return known
      ? `<span class="emoji emoji-${known[1]}" title="${whole}" role="img" aria-label="${name.replace(/_/g, " ")}">${icon(known[0])}</span>`
      : whole;
  });
}

/** One line of mrkdwn, without the quote marker. */
function inline(line, ctx) {
  // Code spans and control sequences are rendered first and parked behind private-use markers, so
  // the styling pass below cannot reach into them.
  const slots = [];
  const hold = (html) => `\uE000${slots.push(html) - 1}\uE001`;
  let text = line.replace(/`([^`\n]+)`/g, (_, code) =>
    hold(`<code>${escapeHtml(unescapeSlack(code))}</code>`),
  );
  text = text.replace(/<([^<>\n]+)>/g, (_, inner) => hold(controlSequence(inner, ctx)));
  const html = emoji(styles(escapeHtml(unescapeSlack(text))));
  return html.replace(/\uE000(\d+)\uE001/g, (_, i) => slots[Number(i)]);
}

/** Slack mrkdwn to HTML: control sequences, styles, code, emoji, `>` quotes and line breaks. */
export function mrkdwn(text, ctx = {}) {
  const lines = String(text ?? "").split("\n");
  const out = [];
  let quote = [];
  const flush = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
    quote = [];
  };
  for (const line of lines) {
    const quoted = /^(>|&gt;)\s?(.*)$/.exec(line);
    if (quoted) {
      quote.push(inline(quoted[2], ctx));
    } else {
      flush();
      out.push(inline(line, ctx));
    }
  }
  flush();
  return out.join("<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
}

function textObject(object, ctx) {
  if (!object) return "";
  if (object.type === "mrkdwn") return mrkdwn(object.text, ctx);
  return emoji(escapeHtml(object.text ?? "")).replace(/\n/g, "<br>");
}

function button(element, blockId) {
  const style = element.style === "primary" ? "primary" : element.style === "danger" ? "danger" : "default";
  // A link button: Slack opens its URL in the browser (here, a new tab).
  if (typeof element.url === "string" && isSafeUrl(element.url)) {
    return `<a class="bk-button bk-${style}" href="${escapeHtml(element.url)}" target="_blank" rel="noopener noreferrer" data-action-id="${escapeHtml(element.action_id ?? "")}">${escapeHtml(element.text?.text ?? "")}</a>`;
  }
  return `<button type="button" class="bk-button bk-${style}" data-action-id="${escapeHtml(element.action_id ?? "")}" data-block-id="${escapeHtml(blockId ?? "")}">${escapeHtml(element.text?.text ?? "")}</button>`;
}

/** HTML for a list of blocks. Buttons carry data-action-id; the caller wires clicks. */
export function renderBlocks(blocks, ctx = {}) {
  return (blocks ?? [])
    .map((block) => {
      const id = escapeHtml(block.block_id ?? "");
      switch (block.type) {
        case "header":
          return `<div class="bk-header" data-block-id="${id}">${textObject(block.text, ctx)}</div>`;
        case "section": {
          const text = block.text ? `<div class="bk-text">${textObject(block.text, ctx)}</div>` : "";
          const fields = block.fields?.length
            ? `<div class="bk-fields">${block.fields.map((f) => `<div class="bk-field">${textObject(f, ctx)}</div>`).join("")}</div>`
            : "";
          const accessory =
            block.accessory?.type === "button"
              ? `<div class="bk-accessory">${button(block.accessory, block.block_id)}</div>`
              : "";
          return `<div class="bk-section" data-block-id="${id}"><div class="bk-section-body">${text}${fields}</div>${accessory}</div>`;
        }
        case "context":
          return `<div class="bk-context" data-block-id="${id}">${(block.elements ?? [])
            .map((e) => (e.type === "image" ? "" : `<span>${textObject(e, ctx)}</span>`))
            .join("")}</div>`;
        case "actions":
          return `<div class="bk-actions" data-block-id="${id}">${(block.elements ?? [])
            .filter((e) => e.type === "button")
            .map((e) => button(e, block.block_id))
            .join("")}</div>`;
        case "divider":
          return `<hr class="bk-divider">`;
        case "input":
          return "";
        default:
          return `<div class="bk-unknown">[${escapeHtml(block.type)} block]</div>`;
      }
    })
    .join("");
}

/** The element behind a rendered button, to read its confirm dialog and value. */
export function findElement(blocks, blockId, actionId) {
  for (const block of blocks ?? []) {
    if (block.block_id !== blockId) continue;
    const elements = block.type === "actions" ? block.elements : block.accessory ? [block.accessory] : [];
    const found = (elements ?? []).find((e) => e.action_id === actionId);
    if (found) return found;
  }
  return undefined;
}
