// Block Kit checks for the fake Slack: the limits Slack enforces, reported the way Slack reports them
// (a message per problem ending in `[json-pointer:/…]`). Deliberately covers what this project sends
// (sections, headers, actions with buttons and confirm dialogs, context, inputs in modals) closely, and
// other block types only by name.

export type Surface = "message" | "modal";

const LIMITS = {
  message: { blocks: 50 },
  modal: { blocks: 100 },
  blockId: 255,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  plainTextInputMaxLength: 3000,
  markdownText: 12000,
  altText: 2000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
} as const;

const MESSAGE_BLOCK_TYPES = new Set([
  "section",
  "header",
  "actions",
  "context",
  "divider",
  "image",
  "rich_text",
  "markdown",
  "file",
  "video",
  "table",
]);
const MODAL_BLOCK_TYPES = new Set([...MESSAGE_BLOCK_TYPES, "input"]);
const INTERACTIVE_ELEMENTS = new Set([
  "button",
  "checkboxes",
  "datepicker",
  "datetimepicker",
  "timepicker",
  "overflow",
  "radio_buttons",
  "static_select",
  "external_select",
  "users_select",
  "conversations_select",
  "channels_select",
  "multi_static_select",
  "multi_users_select",
  "multi_conversations_select",
  "multi_channels_select",
  "multi_external_select",
  "plain_text_input",
  "email_text_input",
  "url_text_input",
  "number_input",
  "rich_text_input",
  "file_input",
]);

type Json = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(message: string, pointer: string): void {
    this.list.push(`${message} [json-pointer:${pointer}]`);
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function maxLength(p: Problems, value: unknown, max: number, pointer: string): void {
  if (typeof value === "string" && value.length > max)
    p.add(`must be less than ${max + 1} characters`, pointer);
}

/** A text composition object; `plainOnly` where Slack accepts only plain_text. */
function checkText(p: Problems, value: unknown, pointer: string, max: number, plainOnly: boolean): void {
  if (!isObject(value)) {
    p.add("must provide an object", pointer);
    return;
  }
  const allowed = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
  if (!allowed.includes(String(value.type))) {
    p.add(`must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`, `${pointer}/type`);
  }
  if (typeof value.text !== "string" || value.text.length === 0) {
    p.add("must be more than 0 characters", `${pointer}/text`);
    return;
  }
  maxLength(p, value.text, max, `${pointer}/text`);
}

function checkConfirm(p: Problems, value: unknown, pointer: string): void {
  if (!isObject(value)) {
    p.add("must provide an object", pointer);
    return;
  }
  checkText(p, value.title, `${pointer}/title`, LIMITS.confirmTitle, true);
  checkText(p, value.text, `${pointer}/text`, LIMITS.confirmText, false);
  checkText(p, value.confirm, `${pointer}/confirm`, LIMITS.confirmButton, true);
  checkText(p, value.deny, `${pointer}/deny`, LIMITS.confirmButton, true);
  if (value.style !== undefined && value.style !== "primary" && value.style !== "danger") {
    p.add('must be one of "primary", "danger"', `${pointer}/style`);
  }
}

function checkElement(p: Problems, el: unknown, pointer: string): void {
  if (!isObject(el)) {
    p.add("must provide an object", pointer);
    return;
  }
  const type = String(el.type);
  if (!INTERACTIVE_ELEMENTS.has(type) && type !== "image") {
    p.add(`unsupported type: ${type}`, `${pointer}/type`);
    return;
  }
  maxLength(p, el.action_id, LIMITS.actionId, `${pointer}/action_id`);
  if (el.confirm !== undefined) checkConfirm(p, el.confirm, `${pointer}/confirm`);
  if (el.placeholder !== undefined)
    checkText(p, el.placeholder, `${pointer}/placeholder`, LIMITS.placeholder, true);
  if (type === "button") {
    checkText(p, el.text, `${pointer}/text`, LIMITS.buttonText, true);
    maxLength(p, el.value, LIMITS.buttonValue, `${pointer}/value`);
    maxLength(p, el.url, LIMITS.buttonUrl, `${pointer}/url`);
    if (el.style !== undefined && el.style !== "primary" && el.style !== "danger") {
      p.add('must be one of "primary", "danger"', `${pointer}/style`);
    }
  }
  if (
    type === "plain_text_input" &&
    typeof el.max_length === "number" &&
    el.max_length > LIMITS.plainTextInputMaxLength
  ) {
    p.add(`must be less than ${LIMITS.plainTextInputMaxLength + 1}`, `${pointer}/max_length`);
  }
  if (type === "image") maxLength(p, el.alt_text, LIMITS.altText, `${pointer}/alt_text`);
}

function checkBlock(
  p: Problems,
  block: unknown,
  pointer: string,
  surface: Surface,
  seenBlockIds: Set<string>,
): void {
  if (!isObject(block)) {
    p.add("must provide an object", pointer);
    return;
  }
  const type = String(block.type);
  const allowed = surface === "modal" ? MODAL_BLOCK_TYPES : MESSAGE_BLOCK_TYPES;
  if (!allowed.has(type)) {
    p.add(`unsupported type: ${type}`, `${pointer}/type`);
    return;
  }
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== "string" || block.block_id.length === 0) {
      p.add("must be a non-empty string", `${pointer}/block_id`);
    } else {
      maxLength(p, block.block_id, LIMITS.blockId, `${pointer}/block_id`);
      if (seenBlockIds.has(block.block_id)) p.add("duplicate block_id", `${pointer}/block_id`);
      seenBlockIds.add(block.block_id);
    }
  }
  switch (type) {
    case "section": {
      if (block.text === undefined && block.fields === undefined) {
        p.add("must provide either text or fields", pointer);
      }
      if (block.text !== undefined) checkText(p, block.text, `${pointer}/text`, LIMITS.sectionText, false);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0) {
          p.add("must provide a non-empty array", `${pointer}/fields`);
        } else {
          if (block.fields.length > LIMITS.sectionFields) {
            p.add(`no more than ${LIMITS.sectionFields} items allowed`, `${pointer}/fields`);
          }
          block.fields.forEach((f, i) => {
            checkText(p, f, `${pointer}/fields/${i}`, LIMITS.fieldText, false);
          });
        }
      }
      if (block.accessory !== undefined) checkElement(p, block.accessory, `${pointer}/accessory`);
      break;
    }
    case "header":
      checkText(p, block.text, `${pointer}/text`, LIMITS.headerText, true);
      break;
    case "actions": {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        p.add("must provide a non-empty array", `${pointer}/elements`);
        break;
      }
      if (block.elements.length > LIMITS.actionsElements) {
        p.add(`no more than ${LIMITS.actionsElements} items allowed`, `${pointer}/elements`);
      }
      const actionIds = new Set<string>();
      block.elements.forEach((el, i) => {
        checkElement(p, el, `${pointer}/elements/${i}`);
        const id = isObject(el) ? el.action_id : undefined;
        if (typeof id === "string") {
          if (actionIds.has(id)) p.add("duplicate action_id", `${pointer}/elements/${i}/action_id`);
          actionIds.add(id);
        }
      });
      break;
    }
    case "context": {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        p.add("must provide a non-empty array", `${pointer}/elements`);
        break;
      }
      if (block.elements.length > LIMITS.contextElements) {
        p.add(`no more than ${LIMITS.contextElements} items allowed`, `${pointer}/elements`);
      }
      block.elements.forEach((el, i) => {
        if (isObject(el) && el.type === "image")
          maxLength(p, el.alt_text, LIMITS.altText, `${pointer}/elements/${i}/alt_text`);
        else checkText(p, el, `${pointer}/elements/${i}`, LIMITS.sectionText, false);
      });
      break;
    }
    case "input":
      checkText(p, block.label, `${pointer}/label`, LIMITS.inputLabel, true);
      if (block.hint !== undefined) checkText(p, block.hint, `${pointer}/hint`, LIMITS.inputHint, true);
      checkElement(p, block.element, `${pointer}/element`);
      break;
    case "markdown":
      if (typeof block.text !== "string" || block.text.length === 0)
        p.add("must be more than 0 characters", `${pointer}/text`);
      else maxLength(p, block.text, LIMITS.markdownText, `${pointer}/text`);
      break;
    case "image":
      maxLength(p, block.alt_text, LIMITS.altText, `${pointer}/alt_text`);
      break;
    default:
      break;
  }
}

/** Problems with `blocks` as Slack would list them; empty when Slack would accept them. */
export function checkBlocks(blocks: unknown, surface: Surface, pointer = "/blocks"): string[] {
  const p = new Problems();
  if (!Array.isArray(blocks)) {
    p.add("must provide an array", pointer);
    return p.list;
  }
  const max = LIMITS[surface].blocks;
  if (blocks.length > max) p.add(`no more than ${max} items allowed`, pointer);
  const seen = new Set<string>();
  blocks.forEach((b, i) => {
    checkBlock(p, b, `${pointer}/${i}`, surface, seen);
  });
  return p.list;
}

/** Problems with a modal view object (views.open / views.update). */
export function checkModalView(view: unknown): string[] {
  const p = new Problems();
  if (!isObject(view)) {
    p.add("must provide an object", "/view");
    return p.list;
  }
  if (view.type !== "modal") p.add('must be one of "modal"', "/view/type");
  checkText(p, view.title, "/view/title", LIMITS.modalTitle, true);
  if (view.submit !== undefined) checkText(p, view.submit, "/view/submit", LIMITS.modalButton, true);
  if (view.close !== undefined) checkText(p, view.close, "/view/close", LIMITS.modalButton, true);
  maxLength(p, view.private_metadata, LIMITS.privateMetadata, "/view/private_metadata");
  maxLength(p, view.callback_id, LIMITS.callbackId, "/view/callback_id");
  maxLength(p, view.external_id, LIMITS.externalId, "/view/external_id");
  const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === "input");
  if (hasInput && view.submit === undefined)
    p.add("must provide submit when input blocks are present", "/view/submit");
  p.list.push(...checkBlocks(view.blocks, "modal", "/view/blocks"));
  return p.list;
}
