// Dispatch mode's target: the workflow the App starts on approval, and the ref it starts it on. The
// Action shows it in the request message, in a block of its own, and the App reads it back from the
// message as posted: what the approvers saw is what an approval starts. It is untrusted on the way
// back like everything in a message, so both the names and the block are checked strictly; the App
// still starts only a workflow of the run's own repository, and the receiving workflow verifies the
// approval itself (`mode: verify`).
import type { ContextBlock } from "@slack/web-api";

export const DISPATCH_BLOCK_ID = "sdg_dispatch";

export interface DispatchTarget {
  /** A file name in `.github/workflows/`, e.g. `deploy.yml`. */
  workflow: string;
  /** A branch or tag (`main`, `v1.2`, `refs/heads/main`). */
  ref: string;
}

export class DispatchTargetError extends Error {
  override name = "DispatchTargetError";
}

const WORKFLOW_FILE = /^[A-Za-z0-9_.-]{1,100}\.ya?ml$/;
// A conservative subset of git's ref rules: what branch and tag names use in practice.
const REF = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;

/** `deploy.yml` or `.github/workflows/deploy.yml` → `deploy.yml`; throws DispatchTargetError. */
export function parseWorkflowFile(raw: string): string {
  const name = raw.trim().replace(/^\.?\/?\.github\/workflows\//, "");
  if (!WORKFLOW_FILE.test(name) || name.startsWith(".")) {
    throw new DispatchTargetError(
      `"${clip(raw)}" is not a workflow file name: give the file's name in .github/workflows/, such as \`deploy.yml\``,
    );
  }
  return name;
}

/** A branch or tag name (optionally `refs/heads/…` or `refs/tags/…`); throws DispatchTargetError. */
export function parseDispatchRef(raw: string): string {
  const ref = raw.trim();
  const name = ref.replace(/^refs\/(heads|tags)\//, "");
  if (
    !REF.test(name) ||
    name.includes("..") ||
    name.includes("//") ||
    name.endsWith("/") ||
    name.endsWith(".") ||
    name.endsWith(".lock") ||
    /^refs\//.test(name)
  ) {
    throw new DispatchTargetError(
      `"${clip(raw)}" is not a branch or tag name that workflow_dispatch accepts (letters, digits, \`_ . / -\`)`,
    );
  }
  return ref;
}

const TEXT = /^:arrow_forward: On approval, slack-deploy-gate starts `([^`]+)` on `([^`]+)`\.$/;

/** The context block the Action adds to a dispatch-mode request. */
export function dispatchBlock(target: DispatchTarget): ContextBlock {
  const workflow = parseWorkflowFile(target.workflow);
  const ref = parseDispatchRef(target.ref);
  return {
    type: "context",
    block_id: DISPATCH_BLOCK_ID,
    elements: [
      {
        type: "mrkdwn",
        text: `:arrow_forward: On approval, slack-deploy-gate starts \`${workflow}\` on \`${ref}\`.`,
      },
    ],
  };
}

/** The target shown in a message's blocks; undefined when there is no dispatch block or it is malformed. */
export function dispatchTargetFromBlocks(blocks: readonly unknown[]): DispatchTarget | undefined {
  const matching = blocks.filter((b) => (b as { block_id?: unknown })?.block_id === DISPATCH_BLOCK_ID);
  if (matching.length !== 1) return undefined;
  const elements = (matching[0] as { elements?: unknown }).elements;
  if (!Array.isArray(elements) || elements.length !== 1) return undefined;
  const text = (elements[0] as { text?: unknown })?.text;
  if (typeof text !== "string") return undefined;
  const match = TEXT.exec(text);
  if (!match) return undefined;
  try {
    return { workflow: parseWorkflowFile(match[1] as string), ref: parseDispatchRef(match[2] as string) };
  } catch {
    return undefined;
  }
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
