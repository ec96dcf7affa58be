// Conveniences on top of the plain forms, which work without this script:
// drop or paste an image to search by it, a preview of the chosen image, the
// current filters carried into an image search, and tidy query strings.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  // Audio and video hits: each player starts where its hit's words are said (or
  // its key frame shows), and "play from" plays from there.
  ready(function () {
    function startOf(player) {
      return parseFloat(player.dataset.start || "0") || 0;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".media-player"), function (player) {
      player.addEventListener("loadedmetadata", function () {
        // A browser that ignores the #t= fragment starts at 0.
        if (player.currentTime < startOf(player) - 0.05) {
          player.currentTime = startOf(player);
        }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".play-from"), function (button) {
      button.addEventListener("click", function () {
        var player = document.getElementById(button.dataset.player);
        if (!player) {
          return;
        }
        player.currentTime = startOf(player);
        var playing = player.play();
        if (playing && playing.catch) {
          playing.catch(function () {}); // no sound device: the position still moved
        }
      });
    });
  });

  ready(function () {
    var textForm = document.getElementById("text-form");
    var imageForm = document.getElementById("image-form");
    var input = document.getElementById("image");
    var drop = document.getElementById("drop");
    var preview = document.getElementById("preview");
    if (!textForm || !imageForm || !input || !drop || !preview) {
      return;
    }
    var previewUrl = null;

    function showPreview(file) {
      if (previewUrl) {
        URL.revokeObjectURL(previewUrl);
      }
      if (!file || !/^image\//.test(file.type)) {
        preview.hidden = true;
        return;
      }
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
      preview.hidden = false;
    }

    function useFile(file) {
      // The file input holds the file, so the form submits it as if picked.
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      showPreview(file);
      imageForm.requestSubmit();
    }

    input.addEventListener("change", function () {
      showPreview(input.files && input.files[0]);
    });

    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) {
        event.preventDefault();
        drop.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () {
        drop.classList.remove("dragging");
      });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) {
        useFile(files[0]);
      }
    });
    document.addEventListener("paste", function (event) {
      var items = (event.clipboardData && event.clipboardData.files) || [];
      if (items.length && /^image\//.test(items[0].type)) {
        useFile(items[0]);
      }
    });

    // The image search uses the filters as they are now in the text form.
    imageForm.addEventListener("submit", function () {
      var params = new URLSearchParams();
      new FormData(textForm).forEach(function (value, key) {
        if (key !== "q" && key !== "mode" && String(value).trim() !== "") {
          params.append(key, value);
        }
      });
      var query = params.toString();
      imageForm.action = "/image" + (query ? "?" + query : "");
    });

    // Empty filter fields stay out of the address (the server ignores them anyway).
    textForm.addEventListener("submit", function () {
      Array.prototype.forEach.call(textForm.elements, function (field) {
        if (field.name && field.type !== "radio" && String(field.value).trim() === "") {
          field.disabled = true;
        }
      });
      window.setTimeout(function () {
        Array.prototype.forEach.call(textForm.elements, function (field) {
          field.disabled = false;
        });
      }, 0);
    });
  });
})();
