// The compose page without a needless round trip. The form works without it: the "Show what
// to fill in" button shows what a kind asks for (a template's fields, or a text per language).
// Here, choosing a kind, a channel or a language asks /compose/content for the content and
// images sections as the form now stands, and swaps them in: no page load, no title needed
// first. The previews and each platform's counts follow the typing through htmx (hx-post on
// the form). Images chosen or dropped are added at once: the form goes to /compose/images,
// which stores them and answers with the images section (the form's own buttons take the
// chosen files without this script); removing one goes the same way. The previews follow.
(function () {
  "use strict";
  var form = document.querySelector("form.compose-form");
  if (!form) {
    return;
  }

  // The previews follow once the sections the choice changes are swapped in.
  function previewAgain() {
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // The control that had the focus, found again in what replaced it.
  function focusAgain(focused) {
    if (!focused || !focused.name || document.activeElement === focused) {
      return;
    }
    var same = Array.prototype.filter.call(form.elements, function (element) {
      return element.name === focused.name && element.value === focused.value;
    });
    if (same.length) {
      same[0].focus();
    }
  }

  function replaceSections(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var swapped = false;
    ["compose-content", "compose-images"].forEach(function (id) {
      var fresh = answer.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) {
        current.replaceWith(document.adoptNode(fresh));
        swapped = true;
      }
    });
    return swapped;
  }

  var asking = null; // the latest request: an older answer is not swapped in over it
  function refreshContent() {
    var focused = document.activeElement;
    var data = new FormData(form);
    data.delete("images");
    var request = fetch("/compose/content", { method: "POST", body: data, credentials: "same-origin" });
    asking = request;
    request
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (asking !== request) {
          return;
        }
        if (replaceSections(html)) {
          wireContent();
          wire();
          focusAgain(focused);
          previewAgain();
        } else {
          showFields(); // the section could not be had: the form's own way
        }
      })
      .catch(function () {
        if (asking === request) {
          showFields();
        }
      });
  }

  function showFields() {
    var button = form.querySelector("#show-fields");
    if (button && form.requestSubmit) {
      form.requestSubmit(button); // formnovalidate: no title needed yet
    } else if (button) {
      button.click();
    }
  }

  // A choice that changes what the form asks for: the kind, a channel, a template's language.
  function choosing(element) {
    ["input", "change"].forEach(function (name) {
      element.addEventListener(name, function (event) {
        event.stopPropagation(); // htmx previews once the sections are swapped in
        if (name === "change") {
          refreshContent();
        }
      });
    });
  }

  function wireContent() {
    var content = form.querySelector("#compose-content");
    var kind = content && content.querySelector('select[name="kind"]');
    if (kind) {
      choosing(kind);
    }
    Array.prototype.forEach.call(
      form.querySelectorAll('#compose-content input[name="language"]'),
      choosing
    );
    var button = form.querySelector("#show-fields");
    if (button) {
      button.hidden = true;
    }
  }
  Array.prototype.forEach.call(form.querySelectorAll('input[name="channel"]'), choosing);
  wireContent();

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
          previewAgain();
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
