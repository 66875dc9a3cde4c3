/* Scroll regions a keyboard can reach (WCAG 2.1.1): a code block or table that is wider than the
   page scrolls sideways, and a reader without a mouse scrolls it by focusing it (Tab) and using
   the arrow keys. Every such region of the page's content gets tabindex="0", role="region" and a
   name (its caption, else what it is), and loses them again when a wider window makes the
   scrolling go away. accessibility.css draws the focus ring. Loaded on every page by conf.py. */
(() => {
  "use strict";
  const MARK = "data-scroll-region";

  function nameOf(element) {
    const what = element.matches("pre") ? "Code" : "Table";
    const wrapper = element.closest(".literal-block-wrapper");
    const caption =
      (wrapper && wrapper.querySelector(".code-block-caption .caption-text")) ||
      element.querySelector("table > caption .caption-text, table > caption") ||
      (element.closest("details") && element.closest("details").querySelector("summary"));
    const text = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
    return text ? `${what}: ${text} (scrolls sideways)` : `${what} (scrolls sideways)`;
  }

  function scrollsSideways(element) {
    const overflow = getComputedStyle(element).overflowX;
    return (
      (overflow === "auto" || overflow === "scroll") &&
      element.scrollWidth > element.clientWidth + 1
    );
  }

  function update() {
    for (const element of document.querySelectorAll("article pre, article div")) {
      const ours = element.hasAttribute(MARK);
      if (scrollsSideways(element)) {
        if (ours || element.hasAttribute("tabindex")) continue;
        element.setAttribute(MARK, "");
        element.setAttribute("tabindex", "0");
        element.setAttribute("role", "region");
        element.setAttribute("aria-label", nameOf(element));
      } else if (ours && document.activeElement !== element) {
        for (const attribute of [MARK, "tabindex", "role", "aria-label"]) {
          element.removeAttribute(attribute);
        }
      }
    }
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      update();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("load", schedule); // fonts and images can change the widths
  window.addEventListener("resize", schedule);
  document.addEventListener("toggle", schedule, true); // a collapsed example opened
})();
