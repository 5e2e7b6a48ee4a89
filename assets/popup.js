/* The quiz's popup on a clinic's page: a modal dialog around the quiz's iframe. embed.js
   loads this file the first time a popup opens and hands itself over on the script
   element (script.quiz); nothing here is global on the host page. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || typeof me.quiz !== "function") return;
  var D = document;
  var html = D.documentElement;

  // Every rule names the popup's own classes, so nothing leaks into the page; `all:revert`
  // drops what the page's rules say about dialogs, buttons or iframes, so nothing leaks in.
  var CSS =
    ".quiz-popup{all:revert;box-sizing:border-box;width:min(720px,calc(100% - 32px));" +
    "max-width:none;max-height:calc(100% - 32px);padding:0;border:0;border-radius:12px;" +
    "overflow:hidden;background:#fff;color:#1d2329;box-shadow:0 12px 48px #0007}" +
    ".quiz-popup[open]{display:flex;flex-direction:column}" +
    ".quiz-popup::backdrop{background:#0f1419b3}" +
    ".quiz-popup-bar{all:revert;display:flex;justify-content:flex-end;flex:none;" +
    "border-bottom:1px solid #d5dae0}" +
    ".quiz-popup-close{all:revert;min-width:44px;min-height:44px;margin:2px;padding:0 12px;" +
    "border:0;border-radius:8px;background:none;color:inherit;cursor:pointer;" +
    "font:400 28px/1 system-ui,sans-serif}" +
    ".quiz-popup-close:hover{background:#f4f6f8}" +
    ".quiz-popup-close:focus-visible{outline:3px solid #ffbf47;outline-offset:-3px;" +
    "box-shadow:inset 0 0 0 6px #1d2329}" +
    ".quiz-popup-frame{all:revert;display:block;flex:1 1 auto;min-height:0;width:100%;border:0}" +
    ".quiz-popup-name{all:revert;position:absolute;width:1px;height:1px;overflow:hidden;" +
    "clip-path:inset(50%);white-space:nowrap}" +
    // Full screen on narrow phones, where a floating box would leave slivers of the page.
    "@media (max-width:600px){.quiz-popup{width:100%;height:100%;max-height:none;margin:0;" +
    "border-radius:0}}" +
    // Motion only for those who have not asked for less.
    "@media (prefers-reduced-motion:no-preference){" +
    ".quiz-popup[open]{animation:quiz-popup-in .2s ease-out}" +
    ".quiz-popup[open]::backdrop{animation:quiz-popup-fade .2s ease-out}}" +
    "@keyframes quiz-popup-in{from{opacity:0;transform:translateY(16px)}}" +
    "@keyframes quiz-popup-fade{from{opacity:0}}";
  var styled = false;

  // A constructed sheet works under a site's Content-Security-Policy without 'unsafe-inline';
  // a <style> element is the fallback for browsers without one.
  function addStyles() {
    if (styled) return;
    styled = true;
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      D.adoptedStyleSheets = D.adoptedStyleSheets.concat([sheet]);
    } catch (e) {
      var element = D.createElement("style");
      element.textContent = CSS;
      D.head.appendChild(element);
    }
  }

  function element(tag, className) {
    var el = D.createElement(tag);
    el.className = className;
    return el;
  }

  function make(widget) {
    var dialog = element("dialog", "quiz-popup");
    var name = element("span", "quiz-popup-name");
    var bar = element("div", "quiz-popup-bar");
    var close = element("button", "quiz-popup-close");
    var guard = element("span", "quiz-popup-guard");
    var back = null;
    var saved = null;

    addStyles();
    // Labelled by the quiz's title; the quiz shows it as its heading, so it is not repeated.
    name.id = "quiz-popup-title-" + widget.clinic;
    name.textContent = widget.title;
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", name.id);
    dialog.setAttribute("data-quiz-clinic", widget.clinic);
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", widget.attr("close-label") || "Close");
    // The quiz's events bubble from the dialog, which is in the page's own tree.
    var frame = widget.frame(dialog, function (kind, value) {
      if (kind === "height") frame.style.height = value + "px";
      else if (kind === "escape") dialog.close();
      else if (value === "lead") widget.seen();
    });
    frame.className = "quiz-popup-frame";
    frame.style.height = "620px";
    // Tab past the quiz's last control leaves its frame for this guard: back to the start.
    // Shift+Tab on the close button goes to the frame, whose next Shift+Tab reaches the
    // quiz's last control, so focus cycles inside the dialog both ways.
    guard.tabIndex = 0;
    guard.addEventListener("focus", function () {
      close.focus();
    });
    close.addEventListener("keydown", function (e) {
      if (e.key === "Tab" && e.shiftKey) {
        e.preventDefault();
        frame.focus();
      }
    });
    close.addEventListener("click", function () {
      dialog.close();
    });
    // A click on the backdrop lands on the dialog element itself, outside its box.
    dialog.addEventListener("click", function (e) {
      var box = dialog.getBoundingClientRect();
      var outside =
        e.clientX < box.left || e.clientX >= box.right || e.clientY < box.top || e.clientY >= box.bottom;
      if (e.target === dialog && outside) dialog.close();
    });
    // Every way of closing (the button, Escape here or inside the quiz, the backdrop) ends here.
    dialog.addEventListener("close", function () {
      html.style.overflow = saved[0];
      html.style.scrollbarGutter = saved[1];
      widget.seen();
      if (back && back.focus) back.focus();
    });
    bar.appendChild(close);
    dialog.appendChild(name);
    dialog.appendChild(bar);
    dialog.appendChild(frame);
    dialog.appendChild(guard);
    (D.body || html).appendChild(dialog);

    return function show(from) {
      if (dialog.open) return;
      back = from && from.focus ? from : D.activeElement;
      // The page behind stays where it is; keeping the scroll bar's gutter stops the page's
      // content from widening under the backdrop.
      saved = [html.style.overflow, html.style.scrollbarGutter];
      if (innerWidth > html.clientWidth) html.style.scrollbarGutter = "stable";
      html.style.overflow = "hidden";
      dialog.showModal();
      close.focus();
    };
  }

  me.quiz(make);
})();
