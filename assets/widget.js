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

  var number = function (v) {
    var n = parseInt(v, 10);
    return isFinite(n) ? n : null;
  };

  // Tell the host page which page this is, and move focus to what changed. `fromIntro`: the
  // page before was the intro, so step 1 is the visitor's start.
  function arrived(fromIntro) {
    var summary = document.getElementById("error-summary");
    var event = data.quizEvent || "view";
    // The first step reached from the intro page is the start, even on a page that only
    // says "step"; a Back to step 1 comes from a step page and is not a new start.
    if (event === "step" && data.quizStep === "1" && fromIntro) event = "start";
    post({
      type: "quiz:page",
      event: event,
      step: number(data.quizStep),
      steps: number(data.quizSteps),
      error: !!summary
    });
    // Screen readers and keyboards start where the change is, without scrolling the host
    // page. Every page after the intro moves focus to its heading (the intro leaves the
    // host's focus alone: the visitor has not touched the quiz yet).
    var focus = summary || (event !== "view" ? document.getElementById("step-heading") : null);
    if (focus) {
      try {
        focus.focus({ preventScroll: true });
      } catch (e) {
        focus.focus();
      }
    }
  }

  arrived(/^\/embed\/[^/]+\/?$/.test(referrerPath()));

  // ------------------------------------------------------------------ steps in place
  // With JavaScript, a step's form is sent with fetch and the answer's page swapped in; the
  // step's own address (the server's 303) goes into the history, so back and forward move
  // between steps and never resubmit. Without it, the same forms work as plain pages.
  var STEP_ACTION = /\/embed\/[^/]+\/step$/;
  var pages = {}; // an address -> its page, as last shown
  var shownAt = location.href; // the address of the page shown now
  var busy = false;
  if (!window.fetch || !window.DOMParser || !history.pushState) return;
  if (!document.getElementById("main")) return;
  history.replaceState({ quiz: true }, "", location.href);

  // Keep the page being left with what the visitor chose or typed on it, as a browser's own
  // back button restores a form.
  function remember() {
    var fields = document.querySelectorAll("#main input, #main textarea, #main option");
    Array.prototype.forEach.call(fields, function (el) {
      if (el.tagName === "OPTION") el.toggleAttribute("selected", el.selected);
      else if (el.type === "radio" || el.type === "checkbox")
        el.toggleAttribute("checked", el.checked);
      else if (el.tagName === "TEXTAREA") el.textContent = el.value;
      else if (el.type !== "hidden") el.setAttribute("value", el.value);
    });
    // A page showing what to fix is not kept: back there, the step is shown afresh.
    if (document.getElementById("error-summary")) delete pages[shownAt];
    else pages[shownAt] = document.documentElement.outerHTML;
  }

  // Put the <main> of a quiz page (its HTML) in place of this one; false when it has none.
  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.getElementById("main");
    var current = document.getElementById("main");
    if (!next || !doc.body || !current) return false;
    remember();
    var fromIntro = (data.quizEvent || "view") === "view";
    current.parentNode.replaceChild(document.adoptNode(next), current);
    document.title = doc.title;
    ["quizEvent", "quizStep", "quizSteps"].forEach(function (key) {
      data[key] = doc.body.dataset[key] || "";
    });
    shownAt = url;
    // As a page load would: the new step starts at its heading, which focus does not scroll
    // to (a quiz opened on its own, or in a popup's frame, may have been scrolled down).
    window.scrollTo(0, 0);
    arrived(fromIntro);
    return true;
  }

  // The POST is sent as the browser would send it, with the button that was pressed.
  function send(url, form, submitter) {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      body.append(key, value);
    });
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    return fetch(url, { method: "POST", body: body, cache: "no-store" });
  }

  // Send the form the plain way, so the visitor gets whatever page the browser would show.
  function plainly(form, submitter) {
    if (submitter && submitter.name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function isPage(response) {
    return /^text\/html/.test(response.headers.get("Content-Type") || "");
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form || !form.getAttribute) return;
    // Attributes, not form.action: the step's buttons are named "action" and would shadow it.
    var action = new URL(form.getAttribute("action") || "", location.href);
    var method = (form.getAttribute("method") || "").toLowerCase();
    if (method !== "post" || !STEP_ACTION.test(action.pathname)) return;
    e.preventDefault();
    if (busy) return; // a double click sends one step
    busy = true;
    var submitter = e.submitter;
    send(action.href, form, submitter)
      .then(
        function (response) {
          return response.text().then(function (html) {
            if (response.redirected && isPage(response) && swap(html, response.url)) {
              history.pushState({ quiz: true }, "", response.url);
            } else if (!response.redirected && isPage(response) && swap(html, shownAt)) {
              // Shown in place (a missing answer): the same address, still one entry.
              history.replaceState({ quiz: true }, "", shownAt);
            } else if (response.redirected) {
              location.assign(response.url);
            } else {
              plainly(form, submitter); // not a quiz page: show what the server says
            }
          });
        },
        function () {
          plainly(form, submitter); // no answer at all: the browser says why
        }
      )
      .then(
        function () {
          busy = false;
        },
        function () {
          busy = false;
        }
      );
  });

  window.addEventListener("popstate", function (e) {
    if (!e.state || !e.state.quiz) return;
    var url = location.href;
    if (pages[url] && swap(pages[url], url)) return;
    fetch(url, { cache: "no-store" })
      .then(function (response) {
        return response.text();
      })
      .then(
        function (html) {
          if (!swap(html, url)) location.reload();
        },
        function () {
          location.reload();
        }
      );
  });
})();
