// The job summary: where the request went, so whoever looks at the run can jump to it, and in wait
// mode what was decided.
import * as core from "@actions/core";

export interface SummaryDetails {
  repository: string;
  environment: string;
  requestId: string;
  channelId: string;
  messageTs: string;
  messageUrl: string;
  /** What happens next, as plain text (escaped here). */
  next: string;
}

export async function writeSummary(details: SummaryDetails): Promise<void> {
  const message = details.messageUrl
    ? `<a href="${escapeHtml(details.messageUrl)}">Open the request in Slack</a>`
    : `channel <code>${escapeHtml(details.channelId)}</code>, message <code>${escapeHtml(details.messageTs)}</code>`;
  await core.summary
    .addHeading("Deployment approval requested", 3)
    .addTable([
      [
        { data: "Environment", header: true },
        { data: "Request ID", header: true },
        { data: "Slack message", header: true },
      ],
      [
        `<code>${escapeHtml(details.environment)}</code>`,
        `<code>${escapeHtml(details.requestId)}</code>`,
        message,
      ],
    ])
    .addRaw(escapeHtml(details.next), true)
    .write();
}

/** One more paragraph, e.g. the decision a waiting step received. */
export async function appendSummary(text: string, link?: { href: string; label: string }): Promise<void> {
  const anchor = link ? ` <a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>` : "";
  await core.summary.addRaw(`<p>${escapeHtml(text)}${anchor}</p>`, true).write();
}

/** The summary is HTML-capable Markdown; names from the run are shown as text, not markup. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
