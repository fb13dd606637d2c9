// The setup page's stylesheet, in the sandbox's look (sandbox/public/style.css): system fonts, the
// aubergine strip, white panels. Served inline with the page's nonce: nothing loads from elsewhere.
export const SETUP_CSS = `
:root {
  --ink: #1d1c1d; --muted: #616061; --line: #dddddd; --bg: #f4f5f7; --panel: #ffffff;
  --slack-aubergine: #3f0e40; --green: #007a5a; --green-bg: #e3f4ee; --red: #e01e5a; --red-bg: #fde8ef;
  --link: #1264a3; --yellow-bg: #fff4d6; --yellow-ink: #7a5300;
  --font: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px / 1.45 var(--font); color: var(--ink); background: var(--bg); }
a { color: var(--link); }
code, pre, textarea.code { font-family: var(--mono); font-size: 12.5px; }
code { background: #f0f0f0; border-radius: 3px; padding: 1px 4px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.intro { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; padding: 16px 24px;
  background: var(--slack-aubergine); color: #fff; }
.intro h1 { margin: 0 0 4px; font-size: 22px; }
.intro p { margin: 0; max-width: 60ch; color: #e9dfe9; }
.intro code { background: rgba(255, 255, 255, 0.14); color: #fff; }
.tag { font-size: 12px; font-weight: 600; background: #ecb22e; color: #1d1c1d; border-radius: 4px;
  padding: 2px 6px; vertical-align: middle; }
main.setup { display: grid; grid-template-columns: minmax(280px, 360px) minmax(0, 1fr); gap: 16px;
  padding: 16px 24px 32px; max-width: 1280px; }
@media (max-width: 900px) { main.setup { grid-template-columns: 1fr; } }
.steps-column { display: grid; gap: 16px; align-content: start; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.panel-title { padding: 10px 16px; border-bottom: 1px solid var(--line); background: #fafafa; }
.panel-title h2 { margin: 0; font-size: 16px; display: flex; align-items: center; gap: 8px; }
.panel-note { display: block; color: var(--muted); font-size: 13px; }
.panel-body { padding: 14px 16px; }
.panel-body > :first-child { margin-top: 0; }
.panel-body > :last-child { margin-bottom: 0; }
.number { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%;
  background: var(--slack-aubergine); color: #fff; font-size: 13px; font-weight: 700; }
.panel.done .number { background: var(--green); }
.checklist { position: sticky; top: 16px; align-self: start; }
.checklist ol { list-style: none; margin: 0; padding: 6px 0; }
.check { display: grid; grid-template-columns: 24px 1fr; gap: 10px; padding: 8px 16px; }
.check .mark { width: 22px; height: 22px; border-radius: 50%; border: 2px solid #b8b8b8; display: grid;
  place-items: center; background: #fff; }
.check .mark svg { display: none; width: 14px; height: 14px; }
.check.done .mark { border-color: var(--green); background: var(--green); }
.check.done .mark svg { display: block; }
.check b { display: block; }
.check.done b { color: var(--green); }
.check .detail { display: block; font-size: 13px; color: var(--muted); overflow-wrap: anywhere; }
.finish { border-top: 1px solid var(--line); padding: 12px 16px; background: #fafafa; }
.finish.ready { background: var(--green-bg); }
.finish p { margin: 0 0 8px; }
.flash { margin: 0 0 12px; padding: 10px 12px; border-radius: 6px; }
.flash.ok { background: var(--green-bg); color: #0b4f3a; }
.flash.error { background: var(--red-bg); color: #8a0f36; }
.warning { background: var(--yellow-bg); color: var(--yellow-ink); padding: 10px 12px; border-radius: 6px; }
form.stack { display: grid; gap: 10px; }
label { font-weight: 600; font-size: 14px; }
label .hint { display: block; font-weight: normal; color: var(--muted); font-size: 13px; }
input[type="text"], input[type="url"], input[type="password"] { width: 100%; font: inherit; font-weight: 400;
  padding: 6px 8px; border: 1px solid #c8c8c8; border-radius: 6px; margin-top: 4px; }
input::placeholder { color: #9a9a9a; }
input:focus, textarea:focus, button:focus-visible { outline: 2px solid var(--link); outline-offset: 1px; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
@media (max-width: 640px) { .row { grid-template-columns: 1fr; } }
.primary-action { font: inherit; font-weight: 700; background: #1f883d; color: #fff; border: 1px solid #1a7f37;
  border-radius: 6px; padding: 6px 14px; cursor: pointer; justify-self: start; text-decoration: none;
  display: inline-block; }
.secondary-action { font: inherit; background: #f6f8fa; color: var(--ink); border: 1px solid #d0d7de;
  border-radius: 6px; padding: 5px 12px; cursor: pointer; text-decoration: none; display: inline-block;
  justify-self: start; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0 0 12px; font-size: 13.5px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.pill { display: inline-block; border: 1px solid var(--line); border-radius: 12px; padding: 0 8px; margin: 0 4px 4px 0;
  font-size: 12.5px; background: #fafafa; }
details { border-top: 1px solid var(--line); margin-top: 14px; padding-top: 10px; }
summary { cursor: pointer; font-weight: 600; }
.manifest { position: relative; }
.manifest pre { background: #1f2328; color: #e6edf3; padding: 12px; border-radius: 6px; overflow: auto;
  max-height: 360px; margin: 8px 0; }
.manifest .copy { position: absolute; top: 8px; right: 8px; }
ol.howto { padding-left: 20px; margin: 8px 0; }
.or { text-align: center; color: var(--muted); font-size: 13px; margin: 6px 0; }
.message { max-width: 720px; margin: 32px auto; }
`;
