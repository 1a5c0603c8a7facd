// Typeset the math that pymdownx.arithmatex marked, with the KaTeX copy served by the site
// itself: no CDN, so a journal opened offline still shows its formulas.
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
});
