// The job summary: where the request went, so whoever looks at the run can jump to it.
import * as core from "@actions/core";

export interface SummaryDetails {
  repository: string;
  environment: string;
  requestId: string;
  channelId: string;
  messageTs: string;
  messageUrl: string;
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
    .addRaw(
      `Approve or reject it in Slack; the deploy job of ${escapeHtml(details.repository)} waits for the decision.`,
      true,
    )
    .write();
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
