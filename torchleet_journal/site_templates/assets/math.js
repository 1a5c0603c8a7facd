// Typeset the math that pymdownx.arithmatex (or journal/markup.py) marked, with the KaTeX copy
// served by the site itself: no CDN, so a journal opened offline still shows its formulas.
// Only marked elements: a \( typed in a task or an error message stays text.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
});
