// Markdown in messages, rendered safely. markdown-it with `html: false`
// escapes every tag and entity in the text, and its link check refuses
// javascript:, vbscript:, file: and data: URLs, so its output can be put in
// the page as HTML. Images are off (no request leaves for a remote image);
// links open in a new tab with noopener and no referrer.
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.disable(['image']);

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** The HTML for a message's text; everything in `text` is escaped or refused. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
