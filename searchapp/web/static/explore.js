// The Explore page's map: the points of /api/explore/{space}/map on a canvas,
// coloured by cluster; hover shows a point's title, click offers to open it.
// Plain canvas (no charting library): thousands of points draw in milliseconds.
(function () {
  "use strict";

  function colour(cluster) {
    // Golden-angle hues: neighbouring cluster numbers get distant colours.
    return "hsl(" + ((cluster * 137.508) % 360).toFixed(1) + ", 65%, 45%)";
  }

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () {
    var canvas = document.getElementById("map");
    if (!canvas) {
      return;
    }
    var tip = document.getElementById("map-tip");
    var pick = document.getElementById("map-pick");
    var space = canvas.dataset.space;
    var points = [];
    var screen = []; // [x, y] in CSS pixels, per point
    var grid = new Map(); // cell key -> point indexes, for hover look-ups
    var CELL = 16;
    var RADIUS = 3;

    document.querySelectorAll(".swatch").forEach(function (swatch) {
      swatch.style.background = colour(Number(swatch.dataset.cluster));
    });

    function layout() {
      var width = canvas.parentElement.clientWidth;
      var height = Math.max(240, Math.min(600, Math.round(width * 0.7)));
      var ratio = window.devicePixelRatio || 1;
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      var pad = 12;
      screen = points.map(function (p) {
        return [pad + ((p.x + 1) / 2) * (width - 2 * pad), pad + ((1 - p.y) / 2) * (height - 2 * pad)];
      });
      grid = new Map();
      screen.forEach(function (s, i) {
        var key = Math.floor(s[0] / CELL) + "," + Math.floor(s[1] / CELL);
        if (!grid.has(key)) {
          grid.set(key, []);
        }
        grid.get(key).push(i);
      });
      var context = canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      screen.forEach(function (s, i) {
        context.fillStyle = colour(points[i].cluster);
        context.beginPath();
        context.arc(s[0], s[1], RADIUS, 0, 2 * Math.PI);
        context.fill();
      });
      canvas.dataset.drawn = String(points.length);
    }

    function nearest(x, y) {
      var best = -1;
      var bestDistance = (RADIUS + 5) * (RADIUS + 5);
      var cx = Math.floor(x / CELL);
      var cy = Math.floor(y / CELL);
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          (grid.get(cx + dx + "," + (cy + dy)) || []).forEach(function (i) {
            var d = (screen[i][0] - x) * (screen[i][0] - x) + (screen[i][1] - y) * (screen[i][1] - y);
            if (d <= bestDistance) {
              best = i;
              bestDistance = d;
            }
          });
        }
      }
      return best;
    }

    function at(event) {
      var box = canvas.getBoundingClientRect();
      return nearest(event.clientX - box.left, event.clientY - box.top);
    }

    canvas.addEventListener("mousemove", function (event) {
      var i = at(event);
      if (i < 0) {
        tip.hidden = true;
        canvas.style.cursor = "";
        return;
      }
      tip.textContent = points[i].title || "(untitled)";
      tip.style.left = screen[i][0] + 10 + "px";
      tip.style.top = screen[i][1] + 10 + "px";
      tip.hidden = false;
      canvas.style.cursor = "pointer";
    });
    canvas.addEventListener("mouseleave", function () {
      tip.hidden = true;
    });
    canvas.addEventListener("click", function (event) {
      var i = at(event);
      if (i < 0) {
        return;
      }
      var id = encodeURIComponent(points[i].id);
      document.getElementById("map-pick-title").textContent = points[i].title || "(untitled)";
      document.getElementById("map-pick-open").href = "/api/items/" + id + "/file";
      document.getElementById("map-pick-like").href =
        space === "image" ? "/?mode=image&item=" + id : "/api/search/similar/" + id;
      pick.hidden = false;
    });

    // For tests and people's own scripts: where point i is on the page.
    window.exploreMap = {
      count: function () {
        return points.length;
      },
      pointAt: function (i) {
        var box = canvas.getBoundingClientRect();
        return { x: box.left + screen[i][0], y: box.top + screen[i][1], title: points[i].title };
      },
    };

    fetch(canvas.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the map could not be loaded (" + response.status + ")");
        }
        return response.json();
      })
      .then(function (body) {
        points = body.points;
        layout();
        window.addEventListener("resize", layout);
      })
      .catch(function (error) {
        canvas.insertAdjacentHTML("afterend", '<p class="error" role="alert"></p>');
        canvas.nextElementSibling.textContent = String(error.message || error);
      });
  });
})();
