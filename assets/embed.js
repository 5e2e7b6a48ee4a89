/* Embeds a clinic's skin assessment: one iframe per script tag, sized to its content.
   <script src="https://QUIZ-HOST/static/embed.js" data-clinic="SLUG" [data-lang]
           [data-target="CSS selector"] async></script> */
(function () {
  "use strict";
  var MIN = 100, MAX = 10000, INITIAL = 600;
  var NAMES = { start: 1, step: 1, complete: 1, lead: 1 };
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function isEmbedScript(s) {
    return s && s.src && /\/static\/embed\.js(\?|$)/.test(s.src) && s.getAttribute("data-clinic");
  }

  function count(v) {
    var n = parseInt(v, 10);
    return n >= 0 && n <= 1000 ? n : null;
  }

  function mount(script) {
    // Async scripts may run in any order; the marker keeps one iframe per tag.
    if (script.getAttribute("data-quiz-mounted")) return;
    script.setAttribute("data-quiz-mounted", "1");
    var clinic = script.getAttribute("data-clinic");
    if (!/^[a-z0-9-]{1,63}$/.test(clinic)) {
      if (window.console) console.error("quiz embed: data-clinic must be a clinic slug");
      return;
    }
    var quizOrigin = new URL(script.src, location.href).origin;
    var params = new URLSearchParams();
    var here = new URLSearchParams(location.search);
    UTM.forEach(function (k) {
      var v = here.get(k);
      if (v) params.set(k, v.slice(0, 200));
    });
    var page = location.href.split("#")[0];
    params.set("page_url", page.length > 1000 ? location.origin + location.pathname : page);
    var lang = script.getAttribute("data-lang");
    if (lang) params.set("lang", lang);

    var box = document.createElement("div");
    box.className = "quiz-embed";
    var frame = document.createElement("iframe");
    frame.src = quizOrigin + "/embed/" + clinic + "?" + params.toString();
    frame.title = script.getAttribute("data-title") || "Skin assessment";
    frame.loading = "eager";
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    // The frame learns which page it is on without relying on the referrer header.
    frame.name = "quiz-parent " + location.origin;
    var st = frame.style;
    st.width = st.minWidth = "100%";
    st.border = "0";
    st.display = "block";
    st.height = INITIAL + "px";
    box.appendChild(frame);

    var sel = script.getAttribute("data-target");
    function find() {
      try {
        return sel ? document.querySelector(sel) : null;
      } catch (e) {
        return null; // an invalid selector: fall back to right after the script tag
      }
    }
    function place() {
      var target = find();
      if (target) target.appendChild(box);
      else script.parentNode.insertBefore(box, script.nextSibling);
    }
    // An async script can run before the page has parsed its target element.
    if (sel && !find() && document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", place);
    } else place();

    var pages = 0;
    window.addEventListener("message", function (e) {
      if (e.origin !== quizOrigin || e.source !== frame.contentWindow) return;
      var d = e.data;
      if (!d || typeof d !== "object") return;
      if (d.type === "quiz:height") {
        var h = Number(d.h);
        if (isFinite(h)) st.height = Math.round(Math.max(MIN, Math.min(MAX, h))) + "px";
      } else if (d.type === "quiz:page") {
        if (pages++) reveal(frame);
        if (d.error || !NAMES[d.event]) return;
        // The clinic slug and step numbers only: tags on the host page must never learn
        // anything derived from the visitor's answers.
        var detail = { clinic: clinic, step: count(d.step), steps: count(d.steps) };
        emit(box, d.event, detail);
        // The first step page is both the start and a step: funnels count every step.
        if (d.event === "start") emit(box, "step", detail);
      }
    });
  }

  function reveal(frame) {
    var top = frame.getBoundingClientRect().top;
    if (top >= 0 && top < window.innerHeight) return;
    var still = window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
    frame.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
  }

  function emit(box, name, detail) {
    var copy = {};
    for (var k in detail) copy[k] = detail[k];
    box.dispatchEvent(new CustomEvent("quiz:" + name, { bubbles: true, detail: copy }));
    var dl = window.dataLayer;
    if (dl && typeof dl.push === "function") {
      dl.push({
        event: "quiz_" + name,
        quiz_clinic: detail.clinic,
        quiz_step: detail.step,
        quiz_steps: detail.steps
      });
    }
  }

  var me = document.currentScript;
  if (isEmbedScript(me)) {
    mount(me);
  } else {
    // Loaded by a tag manager or an old browser: mount every tag not yet mounted.
    var all = document.getElementsByTagName("script");
    for (var i = 0; i < all.length; i++) if (isEmbedScript(all[i])) mount(all[i]);
  }
})();
