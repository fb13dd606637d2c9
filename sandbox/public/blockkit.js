// Renders Slack Block Kit and mrkdwn the way Slack's client shows them, from the exact JSON the
// Action and the App sent. Everything is HTML-escaped before any markup is added.

// Drawn with symbols every system font has (colour emoji fonts are often missing on Linux), in
// coloured badges close to Slack's emoji.
const EMOJI = {
  white_check_mark: ["✔", "check"],
  heavy_check_mark: ["✔", "check"],
  x: ["✖", "cross"],
  no_entry: ["✖", "cross"],
  hourglass_flowing_sand: ["⧗", "wait"],
  hourglass: ["⧗", "wait"],
  alarm_clock: ["⏲", "wait"],
  memo: ["✎", "note"],
  white_circle: ["○", "neutral"],
  warning: ["!", "wait"],
  lock: ["⚿", "neutral"],
  rocket: ["➚", "check"],
  tada: ["★", "check"],
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
      ? `<span class="emoji emoji-${known[1]}" title="${whole}" aria-label="${name.replace(/_/g, " ")}">${known[0]}</span>`
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
