// The compose page without a round trip where none is needed. The form works without it:
// choosing a template here shows its fields at once (the "Show its fields" button does the
// same), and each text box counts its characters as you type. Exact counts per platform (X's
// weighting, links, each network's limit) come from the server: press Preview.
(function () {
  "use strict";
  var form = document.querySelector("form.compose-form");
  if (!form) {
    return;
  }

  var template = form.querySelector('select[name="template"]');
  var refresh = form.querySelector('button[name="action"][value="refresh"]');
  if (template && refresh) {
    template.addEventListener("change", function () {
      if (form.requestSubmit) {
        form.requestSubmit(refresh);
      } else {
        refresh.click();
      }
    });
    refresh.hidden = true;
  }

  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter() : null;
  function characters(text) {
    if (!segmenter) {
      return Array.from(text).length;
    }
    return Array.from(segmenter.segment(text)).length;
  }

  form.querySelectorAll("textarea[data-count]").forEach(function (box) {
    var counter = document.getElementById(box.getAttribute("data-count"));
    if (!counter) {
      return;
    }
    function update() {
      var text = box.value.trim();
      counter.textContent = text ? characters(text) + " characters (Preview for each platform's count)" : "";
    }
    box.addEventListener("input", update);
    update();
  });
})();
