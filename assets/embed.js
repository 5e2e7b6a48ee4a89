/* Embeds a clinic's skin assessment on its site (README, "Embedding"):

     <script src="https://QUIZ-HOST/static/embed.js" data-clinic="SLUG" async></script>

   data-mode="inline" (the default) puts one iframe of the quiz on the page, sized to its
   content; "popup" opens the quiz in a dialog from the page's own links or by itself;
   "button" adds a floating launcher that opens that dialog. The dialog's code is in
   static/js/popup.js, loaded from the quiz's origin the first time a popup opens, so a
   closed popup costs the page this file only.

   This is the readable source: `make assets` builds static/embed.js from it. */
(function () {
  "use strict";
  var D = document;
  var W = window;
  var NAMES = { start: 1, step: 1, complete: 1, lead: 1 };
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  // Ad click ids: forwarded only with ad-measurement consent, else left out of page_url too.
  var CLICK = ["gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id"];
  // How long a TCF v2 CMP may take to answer before it counts as no consent.
  var CMP_WAIT = 500;
  // The space an inline widget holds before the visitor starts: the first screen's height at
  // 320 to 1280 px wide in every language (data-height overrides it).
  var RESERVED = 620;
  var TITLE = "Skin assessment";
  var LABEL = "Free skin assessment";
  var COLOUR = /^#[0-9a-f]{6}$/i;

  function isEmbedScript(s) {
    return s && s.src && /\/static\/embed\.js(\?|$)/.test(s.src) && s.getAttribute("data-clinic");
  }

  // A whole number from an attribute or a message, or null outside [min, max].
  function number(value, max, min) {
    var n = parseInt(value, 10);
    return n >= (min || 0) && n <= max ? n : null;
  }

  function listen(target, name, handler) {
    target.addEventListener(name, handler);
  }

  function mount(script) {
    function attr(name) {
      return script.getAttribute("data-" + name);
    }
    // Async scripts may run in any order; the marker keeps one widget per tag.
    if (attr("quiz-mounted")) return;
    script.setAttribute("data-quiz-mounted", "1");
    var clinic = attr("clinic");
    if (!/^[a-z0-9-]{1,63}$/.test(clinic)) {
      if (W.console) console.error("quiz embed: data-clinic must be a clinic slug");
      return;
    }
    var origin = new URL(script.src, location.href).origin;
    // The frame's query waits for the host's answer on ad consent (at most CMP_WAIT ms).
    var query = null;
    var waiting = [];
    adConsent(attr("ad-consent"), function (granted) {
      query = attribution(granted);
      if (attr("lang")) query.set("lang", attr("lang"));
      waiting.forEach(function (load) {
        load();
      });
    });

    var widget = {
      clinic: clinic,
      origin: origin,
      attr: attr,
      title: attr("title") || TITLE,
      // The quiz's iframe, the same in every mode. Its events are re-emitted on `box`;
      // heights, page changes and an Escape pressed inside it go to `tell(kind, value)`.
      frame: function (box, tell) {
        var frame = D.createElement("iframe");
        function load() {
          frame.src = origin + "/embed/" + clinic + "?" + query;
        }
        if (query) load();
        else waiting.push(load);
        frame.title = widget.title;
        frame.referrerPolicy = "strict-origin-when-cross-origin";
        // The frame learns which page it is on without relying on the referrer header.
        frame.name = "quiz-parent " + location.origin;
        listen(W, "message", function (e) {
          var d = e.data;
          if (e.origin !== origin || e.source !== frame.contentWindow) return;
          if (!d || typeof d !== "object") return;
          if (d.type === "quiz:height") {
            var h = Number(d.h);
            if (isFinite(h)) tell("height", Math.round(Math.max(100, Math.min(10000, h))));
          } else if (d.type === "quiz:escape") {
            tell("escape");
          } else if (d.type === "quiz:page") {
            tell("page", d.event);
            if (d.error || !NAMES[d.event]) return;
            // The clinic slug and step numbers only: tags on the host page must never learn
            // anything derived from the visitor's answers.
            var step = number(d.step, 1000);
            var steps = number(d.steps, 1000);
            emit(box, d.event, clinic, step, steps);
            // The first step page is both the start and a step: funnels count every step.
            if (d.event === "start") emit(box, "step", clinic, step, steps);
          }
        });
        return frame;
      }
    };
    var mode = attr("mode");
    if (mode === "popup" || mode === "button") popup(widget, mode === "button");
    else inline(widget, script);
  }

  // The host page's UTM parameters and page URL, and its click ids only when `granted`.
  function attribution(granted) {
    var params = new URLSearchParams();
    var here = new URLSearchParams(location.search);
    UTM.forEach(function (key) {
      var value = here.get(key);
      if (value) params.set(key, value.slice(0, 200));
    });
    var url = new URL(location.href);
    url.hash = "";
    CLICK.forEach(function (key) {
      var value = here.get(key);
      if (!value) return;
      // Never cut: a shortened id matches no click. The quiz drops one that is too long.
      if (granted) params.set(key, value);
      else url.searchParams.delete(key);
    });
    if (granted) params.set("ad_consent", "granted");
    var page = url.href;
    params.set("page_url", page.length > 1000 ? location.origin + location.pathname : page);
    return params;
  }

  // Calls back once: true when the host has ad-measurement consent. data-ad-consent says so
  // ("granted"; anything else is no), or else an IAB TCF v2 CMP (`__tcfapi`) reporting
  // consent for purposes 1 (store or access information on a device) and 7 (measure ad
  // performance). A CMP that has not answered within CMP_WAIT ms counts as no consent.
  function adConsent(said, done) {
    if (said !== null) return done(said === "granted");
    var cmp = W.__tcfapi;
    if (typeof cmp !== "function") return done(false);
    var answered = false;
    function answer(granted) {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      done(granted);
    }
    var timer = setTimeout(function () {
      answer(false);
    }, CMP_WAIT);
    function heard(data, success) {
      if (!success || !data) return answer(false);
      // Until the visitor has chosen ("cmpuishown"), the CMP has no answer yet.
      if (data.eventStatus === "cmpuishown") return;
      var consents = (data.purpose && data.purpose.consents) || {};
      answer(consents[1] === true && consents[7] === true);
      if (data.listenerId !== undefined && data.eventStatus) {
        try {
          cmp("removeEventListener", 2, function () {}, data.listenerId);
        } catch (e) {
          // A CMP without removeEventListener keeps calling; answer() ignores it.
        }
      }
    }
    try {
      cmp("addEventListener", 2, heard);
    } catch (e) {
      try {
        cmp("getTCData", 2, heard);
      } catch (e2) {
        answer(false);
      }
    }
  }

  function inline(widget, script) {
    var box = D.createElement("div");
    box.className = "quiz-embed";
    var wanted = 0;
    var started = false;
    var pages = 0;
    var frame = widget.frame(box, function (kind, value) {
      if (kind === "height") wanted = value;
      else if (kind === "page") {
        if (pages++) reveal(frame);
        started = started || value !== "view";
      }
      fit();
    });
    var style = frame.style;
    style.cssText = "width:100%;min-width:100%;border:0;display:block";
    style.height = (number(widget.attr("height"), 5000, 100) || RESERVED) + "px";
    box.appendChild(frame);

    // Until the visitor starts, the frame keeps the height reserved for it, so nothing on
    // the page moves (no layout shift). It may only grow while its bottom edge is at or below
    // the bottom of the window: whatever follows it is then out of view, and moving it shows
    // as no shift. Once started, it follows its content on every step.
    function fit() {
      if (!wanted) return;
      var grow = wanted > frame.offsetHeight && frame.getBoundingClientRect().bottom >= innerHeight;
      if (started || grow) style.height = wanted + "px";
    }

    var selector = widget.attr("target");
    function find() {
      try {
        return selector ? D.querySelector(selector) : null;
      } catch (e) {
        return null; // an invalid selector: fall back to right after the script tag
      }
    }
    function place() {
      var target = find();
      var slot = script.parentNode;
      if (target) target.appendChild(box);
      else slot.insertBefore(box, script.nextSibling);
      // The snippet's wrapper held the space while this script loaded; the frame has it now.
      if (slot.hasAttribute("data-quiz-slot")) slot.style.minHeight = "";
    }
    // An async script can run before the page has parsed its target element.
    if (selector && !find() && D.readyState === "loading") listen(D, "DOMContentLoaded", place);
    else place();
  }

  function popup(widget, button) {
    var attr = widget.attr;
    var key = "quiz-seen:" + widget.clinic;
    var once = attr("show-once") !== null;
    var show = null;
    var loading = false;
    var opened = false;

    // data-show-once is remembered by the clinic's site, in its own storage, and only then:
    // the quiz itself still stores nothing. popup.js calls this when closed or on a lead.
    widget.seen = function (read) {
      try {
        if (once) return read ? localStorage.getItem(key) : localStorage.setItem(key, "1");
      } catch (e) {
        // Storage switched off: a self-opening popup may then open again.
      }
    };

    function open(from) {
      opened = true;
      if (show) return show(from);
      if (loading) return;
      loading = true;
      var js = D.createElement("script");
      js.src = widget.origin + "/static/js/popup.js";
      // popup.js finds this on its own script element: nothing global on the host page.
      js.quiz = function (make) {
        show = make(widget);
        show(from);
      };
      D.head.appendChild(js);
    }
    function openByItself() {
      if (!opened && !widget.seen(true)) open();
    }

    // Any element of the page naming this clinic opens it: the clinic's own links and buttons.
    listen(D, "click", function (e) {
      var opener = e.target.closest && e.target.closest("[data-quiz-open]");
      if (opener && opener.getAttribute("data-quiz-open") === widget.clinic && !e.defaultPrevented) {
        e.preventDefault();
        open(opener);
      }
    });
    var after = number(attr("open-after"), 3600);
    if (after !== null) setTimeout(openByItself, after * 1000);
    // Exit intent is the pointer leaving through the top of the window, so desktop only: on
    // touch screens a fast scroll back up is also how people reread, and would interrupt them.
    if (attr("open-on") === "exit") {
      listen(D, "mouseout", function (e) {
        if (!e.relatedTarget && e.clientY <= 0) openByItself();
      });
    }
    if (button) launcher(attr, open);
  }

  // A floating button opening the popup, styled inline through the CSSOM: a site's
  // Content-Security-Policy allows that without 'unsafe-inline', the page's own rules cannot
  // outweigh it, and `all:revert` first drops whatever else they say about buttons.
  function launcher(attr, open) {
    var button = D.createElement("button");
    var background = attr("color");
    var text = attr("text-color");
    button.type = "button";
    button.className = "quiz-launcher";
    button.textContent = attr("label") || LABEL;
    button.style.cssText =
      "all:revert;position:fixed;bottom:20px;z-index:2147483000;max-width:calc(100vw - 40px);" +
      "padding:14px 20px;border:0;border-radius:8px;font:600 16px/1.25 system-ui,sans-serif;" +
      "box-shadow:0 2px 12px #0006;cursor:pointer;background:" +
      (COLOUR.test(background) ? background : "#1f5f8b") +
      ";color:" +
      (COLOUR.test(text) ? text : "#fff");
    // Bottom right by default; left keeps clear of a cookie banner or chat bubble there.
    button.style[attr("position") === "left" ? "left" : "right"] = "20px";
    button.onclick = function () {
      open(button);
    };
    function add() {
      D.body.appendChild(button);
    }
    if (D.body) add();
    else listen(D, "DOMContentLoaded", add);
  }

  function reveal(frame) {
    var top = frame.getBoundingClientRect().top;
    if (top >= 0 && top < innerHeight) return;
    var still = W.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
    frame.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
  }

  function emit(box, name, clinic, step, steps) {
    var detail = { clinic: clinic, step: step, steps: steps };
    box.dispatchEvent(new CustomEvent("quiz:" + name, { bubbles: true, detail: detail }));
    var layer = W.dataLayer;
    if (layer && typeof layer.push === "function") {
      layer.push({ event: "quiz_" + name, quiz_clinic: clinic, quiz_step: step, quiz_steps: steps });
    }
  }

  var me = D.currentScript;
  if (isEmbedScript(me)) {
    mount(me);
  } else {
    // Loaded by a tag manager or an old browser: mount every tag not yet mounted.
    var all = D.getElementsByTagName("script");
    for (var i = 0; i < all.length; i++) if (isEmbedScript(all[i])) mount(all[i]);
  }
})();
