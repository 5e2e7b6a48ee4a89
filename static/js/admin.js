// Back office enhancements: copy buttons for embed snippets, and the embed code generator's
// live update. Everything works without it (the generator is a plain GET form).
(function () {
  "use strict";
  function copy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { source.select(); });
    } else {
      // Plain-http installs have no Clipboard API: select the text for Ctrl+C.
      source.focus();
      source.select();
      try { if (document.execCommand("copy")) done(); } catch (e) { /* selection stays */ }
    }
  }

  function showCopyButtons(root) {
    var buttons = root.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  // The generator asks the server for the same page with the new options and swaps in its
  // code and preview: one place (quiz/snippets.py) builds every snippet.
  function liveGenerator(form) {
    var timer = null;
    var asked = 0;
    function update() {
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = form.action.split("#")[0] + "?" + query;
      var mine = ++asked;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (mine !== asked) return; // an answer to an older change
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById("embed-output");
          var current = document.getElementById("embed-output");
          if (!fresh || !current) return;
          current.replaceWith(document.adoptNode(fresh));
          showCopyButtons(fresh);
          history.replaceState(null, "", url + "#embed");
        })
        .catch(function () { /* the Show the code button still works */ });
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy[data-copy]");
    if (button) copy(button);
  });
  document.addEventListener("DOMContentLoaded", function () {
    showCopyButtons(document);
    var generator = document.getElementById("embed-generator");
    if (generator && window.fetch && window.DOMParser) liveGenerator(generator);
  });
})();
