// The compose page without a needless round trip. The form works without it: the "Show what
// to fill in" button shows what a kind asks for (a template's fields, or a text per language).
// Here, choosing a kind, a channel or a language asks /compose/content for the content and
// images sections as the form now stands, and brings them in (what is typed meanwhile stays):
// no page load, no title needed first. The previews and each platform's counts follow the
// typing through htmx (hx-post on the form). Images chosen or dropped are added at once: the
// form goes to /compose/images, which stores them and answers with the images section (the
// form's own buttons take the chosen files without this script); removing one goes the same
// way. The previews follow.
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

  function section() {
    return form.querySelector("#compose-images");
  }

  // The stored image an ``image:N:...`` field of ``root`` belongs to.
  function imageOf(root, name) {
    var number = /^image:(\d+):/.exec(name);
    var sha = number && root.querySelector('input[name="image:' + number[1] + ':sha256"]');
    return sha ? sha.value : null;
  }

  // The control in ``within`` that stands for ``element`` of a fresh section: the same name,
  // the same kind of control (for a box, the same value; for an image's, the same image).
  function twin(within, element) {
    var selector = element.tagName.toLowerCase() + '[name="' + CSS.escape(element.name) + '"]';
    if (element.type === "checkbox") {
      selector += '[value="' + CSS.escape(element.value) + '"]';
    }
    var found = within.querySelector(selector);
    if (!found || found.type !== element.type) {
      return null;
    }
    var own = imageOf(element.closest("#compose-images") || element, element.name);
    return own === imageOf(within, element.name) ? found : null;
  }

  // The controls a person fills in or ticks (not hidden fields, not buttons).
  function visibleControls(within) {
    return Array.prototype.filter.call(within.querySelectorAll("[name]"), function (element) {
      return ["hidden", "submit", "button"].indexOf(element.type) === -1;
    });
  }

  // What a section asks for: its controls and the words that name them.
  function shape(within) {
    return visibleControls(within)
      .map(function (element) {
        var label = element.closest("label");
        return [element.type, element.name, label ? label.firstChild.textContent.trim() : ""];
      })
      .join("|");
  }

  // Brings the fresh section in. Where it asks for what the page already asks for, only its
  // hidden fields and boxes are taken: nothing moves under the author's fingers. Otherwise it
  // replaces the page's, keeping the page's own text fields wherever it has the same ones, so
  // what is typed while a request is out, the caret, the focus stay. Boxes and lists take the
  // answer's state unless they changed on the page since the form was sent.
  function swapIn(current, fresh, sent) {
    document.adoptNode(fresh);
    visibleControls(fresh).forEach(function (element) {
      var live = twin(current, element);
      if (!live || element.type === "file") {
        return;
      }
      if (element.type === "checkbox") {
        var wasSent = sent.getAll(element.name).indexOf(element.value) !== -1;
        live.checked = live.checked !== wasSent ? live.checked : element.checked;
        element.checked = live.checked;
      } else if (element.tagName === "SELECT") {
        element.value = live.value !== sent.get(element.name) ? live.value : element.value;
      }
    });
    if (shape(fresh) === shape(current)) {
      var hidden = 'input[type="hidden"]';
      Array.prototype.forEach.call(current.querySelectorAll(hidden), function (old) {
        old.remove();
      });
      Array.prototype.forEach.call(fresh.querySelectorAll(hidden), function (field) {
        current.appendChild(field);
      });
      return;
    }
    var focused = document.activeElement;
    // A fold the author opened (a channel's own text, a field's per-language values) stays open.
    Array.prototype.forEach.call(fresh.querySelectorAll("details"), function (fold) {
      var control = fold.querySelector("[name]");
      var live = control && twin(current, control);
      var was = live && live.closest("details");
      if (was && was.open) {
        fold.open = true;
      }
    });
    visibleControls(fresh).forEach(function (element) {
      var live = twin(current, element);
      var typedIn = ["checkbox", "file", "select-one"].indexOf(element.type) === -1;
      if (live && typedIn) {
        element.replaceWith(live);
      }
    });
    current.replaceWith(fresh);
    if (focused && focused !== document.activeElement) {
      var again = document.body.contains(focused) ? focused : focused.name && twin(fresh, focused);
      if (again) {
        again.focus();
      }
    }
  }

  // Each control gets its listeners once, however often its section is brought in again.
  var wired = new WeakSet();
  function once(element) {
    if (wired.has(element)) {
      return false;
    }
    wired.add(element);
    return true;
  }

  // Each swap counts, so that an answer to an older form does not undo a newer one.
  var swaps = { content: 0, images: 0 };

  var asking = null; // the latest content request: an older answer is not swapped in
  function refreshContent() {
    var data = new FormData(form);
    data.delete("images");
    var imagesAt = swaps.images;
    var request = fetch("/compose/content", {
      method: "POST",
      body: data,
      credentials: "same-origin",
    });
    asking = request;
    request
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (asking !== request) {
          return;
        }
        var answer = new DOMParser().parseFromString(html, "text/html");
        var content = answer.getElementById("compose-content");
        var images = answer.getElementById("compose-images");
        if (!content || !images) {
          showFields(); // the sections could not be had: the form's own way
          return;
        }
        swapIn(form.querySelector("#compose-content"), content, data);
        swaps.content += 1;
        wireContent();
        if (swaps.images === imagesAt) {
          swapIn(section(), images, data);
          swaps.images += 1;
          wire();
        } else {
          refreshContent(); // images came meanwhile: their alt texts follow the languages
        }
        previewAgain();
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
    if (!once(element)) {
      return;
    }
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
    var data = new FormData(form);
    data.delete("images");
    files.forEach(function (file) {
      data.append("images", file, file.name);
    });
    data.set("action", action);
    var contentAt = swaps.content;
    busy(section(), true);
    fetch("/compose/images", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html");
        var fresh = answer.getElementById("compose-images");
        if (fresh) {
          swapIn(section(), fresh, data);
          swaps.images += 1;
          wire();
          if (swaps.content !== contentAt) {
            refreshContent(); // the languages changed meanwhile: the alt texts follow
          } else {
            previewAgain();
          }
          return;
        }
        // Not the section: an error page (the form expired, or the files are too large).
        var said = answer.querySelector("p.error");
        busy(section(), false);
        showProblem(said ? said.textContent : section().dataset.notSent);
      })
      .catch(function () {
        busy(section(), false);
        showProblem(section().dataset.notSent);
      });
  }

  function busy(images, sending) {
    images.classList.toggle("uploading", sending);
    if (sending) {
      images.setAttribute("aria-busy", "true");
    } else {
      images.removeAttribute("aria-busy");
    }
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
    if (input && once(input)) {
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
    if (drop && once(drop)) {
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
      if (!once(button)) {
        return;
      }
      button.addEventListener("click", function (event) {
        event.preventDefault();
        sendImages([], button.value);
      });
    });
  }
  wire();
})();
