// Markdown on the pages, rendered safely: markdown-it (npm, raw HTML off) writes the HTML,
// DOMPurify (npm) keeps only the tags and attributes listed here, and links are checked
// again after both. Without either library the text shows as it is, plain.
//
// Two flavours: a chat message (bot or agent) may use a small subset (paragraphs, lists,
// bold and italics, inline code, links to the help center); a help-center article may also
// have headings, quotes, code blocks, tables and links to other sites. No images in either:
// the pages load nothing from elsewhere.

const MESSAGE_RULES = ["paragraph", "list", "emphasis", "link", "newline", "escape", "backticks", "entity"];
const MESSAGE_TAGS = ["p", "ol", "ul", "li", "strong", "em", "code", "a", "br"];
const ARTICLE_TAGS = [...MESSAGE_TAGS, "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "del"];
const ATTRIBUTES = ["href", "start", "title"];
const HELP_LINK = /^\/help(\/|$)/;
const WEB_LINK = /^https?:\/\//i;

let engines = null;

function renderers() {
  if (engines !== null) return engines;
  const markdownit = window.markdownit;
  const purify = window.DOMPurify;
  if (typeof markdownit !== "function" || !purify || typeof purify.sanitize !== "function") {
    engines = false;
    return engines;
  }
  const message = markdownit("zero", { html: false, breaks: true }).enable(MESSAGE_RULES);
  const article = markdownit("commonmark", { html: false }).enable(["table", "strikethrough"]).disable(["image"]);
  // An article's own headings start at h2: the page's h1 is its title.
  article.renderer.rules.heading_open = (tokens, index, options, env, self) => {
    const level = Math.min(6, Number(tokens[index].tag.slice(1)) + 1);
    tokens[index].tag = `h${level}`;
    return self.renderToken(tokens, index, options);
  };
  engines = { message, article, purify };
  return engines;
}

/** Whether the Markdown renderer and the sanitiser are installed (else text stays plain). */
export function canRenderMarkdown() {
  return Boolean(renderers());
}

/**
 * Put `text` into `node` as rendered Markdown (`kind`: "message" or "article"), or as plain
 * text when the libraries are missing. Never assigns unsanitised HTML.
 */
export function renderMarkdown(node, text, kind = "message") {
  const engine = renderers();
  if (!engine) {
    node.textContent = text;
    return node;
  }
  const html = engine[kind].render(String(text ?? ""));
  const fragment = engine.purify.sanitize(html, {
    ALLOWED_TAGS: kind === "article" ? ARTICLE_TAGS : MESSAGE_TAGS,
    ALLOWED_ATTR: ATTRIBUTES,
    RETURN_DOM_FRAGMENT: true,
  });
  for (const link of fragment.querySelectorAll("a")) keepSafeLink(link, kind);
  node.replaceChildren(fragment);
  return node;
}

/**
 * A link stays a link when it goes to the help center (any page), or, in an article, to a
 * web address; the rest become their text, with the address after it in a message, so no
 * scheme but http(s) is ever followed.
 */
function keepSafeLink(link, kind) {
  const href = link.getAttribute("href") || "";
  const help = HELP_LINK.test(href);
  if (help || (kind === "article" && WEB_LINK.test(href))) {
    if (!help) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    } else if (kind === "message") {
      // From a chat, an article opens beside it: the conversation stays where it is.
      link.target = "_blank";
      link.rel = "noopener";
    }
    return;
  }
  const text = link.textContent;
  link.replaceWith(document.createTextNode(href && href !== text ? `${text} (${href})` : text));
}
