// The compose page without a needless round trip. The form works without it: choosing a
// template here shows its fields at once (the "Show its fields" button does the same). The
// previews and each platform's counts follow the typing through htmx (hx-post on the form).
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
})();
