// The compose page without a needless round trip. The form works without it: choosing a
// template here shows its fields at once (the "Show its fields" button does the same). The
// previews and each platform's counts follow the typing through htmx (hx-post on the form).
// Images chosen or dropped are added at once: the form goes to /compose/images, which stores
// them and answers with the images section (the form's own buttons take the chosen files
// without this script); removing one goes the same way. The previews follow.
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

  function section() {
    return form.querySelector("#compose-images");
  }

  function showProblem(text) {
    var problem = document.createElement("p");
    problem.className = "error";
    problem.setAttribute("role", "alert");
    problem.id = "upload-error";
    problem.textContent = text;
    var old = section().querySelector("#upload-error");
    if (old) {
      old.replaceWith(problem);
    } else {
      section().querySelector("legend").after(problem);
    }
  }

  function sendImages(files, action) {
    var current = section();
    var data = new FormData(form);
    data.delete("images");
    files.forEach(function (file) {
      data.append("images", file, file.name);
    });
    data.set("action", action);
    current.classList.add("uploading");
    current.setAttribute("aria-busy", "true");
    fetch("/compose/images", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html");
        var fresh = answer.getElementById("compose-images");
        if (fresh) {
          current.replaceWith(document.adoptNode(fresh));
          wire();
          form.dispatchEvent(new Event("change", { bubbles: true }));
          return;
        }
        // Not the section: an error page (the form expired, or the files are too large).
        var said = answer.querySelector("p.error");
        done(current);
        showProblem(said ? said.textContent : current.dataset.notSent);
      })
      .catch(function () {
        done(current);
        showProblem(current.dataset.notSent);
      });
  }

  function done(current) {
    current.classList.remove("uploading");
    current.removeAttribute("aria-busy");
  }

  // The section's controls, wired again each time the section is replaced.
  function wire() {
    var images = section();
    if (!images) {
      return;
    }
    var input = images.querySelector('input[type="file"]');
    var add = images.querySelector("#upload-images");
    var drop = images.querySelector("#image-drop");
    if (input) {
      // Choosing files is not typing: the previews follow once they are stored.
      ["input", "change"].forEach(function (name) {
        input.addEventListener(name, function (event) {
          event.stopPropagation();
          if (name === "change" && input.files.length) {
            sendImages(Array.prototype.slice.call(input.files), "upload");
          }
        });
      });
    }
    if (add) {
      add.hidden = true;
    }
    if (drop) {
      drop.addEventListener("dragover", function (event) {
        event.preventDefault();
        drop.classList.add("dragging");
      });
      drop.addEventListener("dragleave", function () {
        drop.classList.remove("dragging");
      });
      drop.addEventListener("drop", function (event) {
        event.preventDefault();
        drop.classList.remove("dragging");
        var files = Array.prototype.slice.call(event.dataTransfer.files);
        if (files.length) {
          sendImages(files, "upload");
        }
      });
    }
    Array.prototype.forEach.call(images.querySelectorAll("button.remove-image"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        sendImages([], button.value);
      });
    });
  }
  wire();
})();
