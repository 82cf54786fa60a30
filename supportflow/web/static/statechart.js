// Draws Mermaid statechart text as a picture, with the mermaid library `make install` puts
// under /web/vendor (npm, never a CDN). It is loaded on first use: most visits never need it.
//
// The drawing is an <img> holding the SVG Mermaid wrote, not inline SVG: Mermaid styles its
// SVG with a <style> element, which the pages' Content-Security-Policy (style-src 'self')
// would block in the document, but which applies inside an image.

const MERMAID_URL = "/web/vendor/mermaid.min.js";
let loading = null;
let drawn = 0;

function loadMermaid() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = MERMAID_URL;
      script.onload = () => {
        window.mermaid.initialize({
          startOnLoad: false,
          securityLevel: "strict",
          theme: "neutral",
          // Plain SVG text, no HTML in foreignObject: the picture stands alone as an image.
          htmlLabels: false,
          flowchart: { htmlLabels: false },
          fontFamily: "system-ui, sans-serif",
        });
        resolve(window.mermaid);
      };
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error("the diagram library (mermaid) is not installed on this server: run make install with npm"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

/**
 * Replace `container`'s content with the diagram of `source` (Mermaid text); resolves to the
 * <img data-testid="statechart">. `current`, when given, is the highlighted state (the text
 * already highlights it; the attribute lets a reader or a test know which one).
 */
export async function drawStatechart(container, source, { title, current } = {}) {
  const mermaid = await loadMermaid();
  drawn += 1;
  const { svg } = await mermaid.render(`statechart-drawing-${drawn}`, source);
  const image = new Image();
  image.className = "statechart-drawing";
  image.dataset.testid = "statechart";
  if (current) image.dataset.current = current;
  image.alt = title || "State machine diagram";
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await image.decode();
  container.replaceChildren(image);
  return image;
}
