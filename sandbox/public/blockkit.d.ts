// Types for the page's Block Kit renderer (plain JavaScript, served as is), for its tests.
export interface RenderContext {
  users?: Record<string, string>;
  groups?: Record<string, string>;
}
export function escapeHtml(text: string): string;
export function mrkdwn(text: string, ctx?: RenderContext): string;
export function renderBlocks(blocks: unknown[], ctx?: RenderContext): string;
export function findElement(
  blocks: unknown[],
  blockId: string,
  actionId: string,
): Record<string, unknown> | undefined;
