/* Runs inside the quiz iframe: reports its height and the visitor's progress to the clinic's
   page, and moves focus to what changed. Uses no cookies and no Web Storage. */
(function () {
  "use strict";
  var body = document.body;
  var root = document.documentElement;
  var data = body.dataset;
  var NAME = "quiz-parent ";

  function originOf(url) {
    try {
      return new URL(url).origin;
    } catch (e) {
      return "";
    }
  }

  // The page that frames us, if it is one of the clinic's sites (or the quiz's own demo).
  function parentOrigin() {
    if (window.parent === window) return "";
    var allowed = (data.parentOrigins || "").split(/\s+/).filter(Boolean);
    allowed.push(location.origin);
    var claimed = "";
    if (location.ancestorOrigins && location.ancestorOrigins.length) {
      claimed = location.ancestorOrigins[0];
    } else if (window.name.indexOf(NAME) === 0) {
      // Set by embed.js on the iframe; it survives the navigations between quiz steps.
      claimed = window.name.slice(NAME.length);
    } else if (document.referrer) {
      claimed = originOf(document.referrer);
    }
    // Even a false claim is harmless: postMessage delivers only to that exact origin.
    return allowed.indexOf(claimed) >= 0 ? claimed : "";
  }

  function referrerPath() {
    try {
      var r = new URL(document.referrer);
      return r.origin === location.origin ? r.pathname : "";
    } catch (e) {
      return "";
    }
  }

  var target = parentOrigin();

  function post(message) {
    if (target) window.parent.postMessage(message, target);
  }

  // The element's own box, not scrollHeight: scrollHeight never drops below the iframe's
  // current height, so a shorter step could never shrink it.
  var last = 0;
  function sendHeight() {
    // A frame not yet given a width (laid out before the host page sized it, or in a box a
    // site shows later) wraps its text a word to a line: thousands of pixels that mean
    // nothing. The observer calls again once the frame has a width.
    if (!root.clientWidth) return;
    var h = Math.ceil(Math.max(root.getBoundingClientRect().height, body.offsetHeight));
    if (h !== last) {
      last = h;
      post({ type: "quiz:height", h: h });
    }
  }

  if (target) {
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(sendHeight);
      observer.observe(root);
      observer.observe(body);
    } else {
      window.addEventListener("resize", sendHeight);
    }
    window.addEventListener("load", sendHeight);
    sendHeight();
  }

  // Keys pressed in here never reach the host page: in a popup, Escape must still close it.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") post({ type: "quiz:escape" });
  });

  // A link to a part of this page (the result's "ask the clinic" button): the frame is as
  // tall as its page and never scrolls itself, so bring the part into the host page's view
  // and move focus there, as a link within a page does outside a frame.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest('a[href^="#"]');
    var part = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!part || window.parent === window) return;
    e.preventDefault();
    var still = window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
    part.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
    var heading = part.querySelector("h2, h1") || part;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    try {
      heading.focus({ preventScroll: true });
    } catch (err) {
      heading.focus();
    }
  });

  var summary = document.getElementById("error-summary");
  var number = function (v) {
    var n = parseInt(v, 10);
    return isFinite(n) ? n : null;
  };
  var event = data.quizEvent || "view";
  // The first step reached from the intro page is the start, even on a page that only says
  // "step"; a Back to step 1 comes from a step page and is not a new start.
  if (event === "step" && data.quizStep === "1" && /^\/embed\/[^/]+\/?$/.test(referrerPath())) {
    event = "start";
  }
  post({
    type: "quiz:page",
    event: event,
    step: number(data.quizStep),
    steps: number(data.quizSteps),
    error: !!summary
  });

  // Screen readers and keyboards start where the change is, without scrolling the host page.
  // Every page after the intro moves focus to its heading (the intro leaves the host's focus
  // alone: the visitor has not touched the quiz yet).
  var focus = summary || (event !== "view" ? document.getElementById("step-heading") : null);
  if (focus) {
    try {
      focus.focus({ preventScroll: true });
    } catch (e) {
      focus.focus();
    }
  }
})();
