/* Fairness Casebook: the threshold explorer of a case page.
 *
 * Plain JavaScript, no framework, nothing fetched: the data (score histograms per
 * group from the case's record) and the words (from the page template) are in a
 * <script type="application/json"> inside each [data-explorer] element, so the
 * explorer works from file:// and offline.
 *
 * DOM contract (tests rely on it): each threshold is an <input type="range">
 * whose aria-label names its group (or "all groups"); each displayed metric is an
 * element with data-group, data-metric (selection_rate, tpr, fpr, ppv,
 * favorable_rate, impact_ratio), data-against (label or truth) and data-value
 * (the unrounded number; empty when undefined).
 */
(function () {
  "use strict";

  var METRICS = ["selection_rate", "tpr", "fpr", "ppv"];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function sum(a, from) {
    var s = 0;
    for (var i = from; i < a.length; i++) { s += a[i]; }
    return s;
  }

  function ratio(num, den) { return den > 0 ? num / den : null; }

  /* The four counts of a group when rows scoring at least edges[k] are decided positive. */
  function counts(hist, k) {
    var tp = sum(hist.pos, k + 1), fp = sum(hist.neg, k + 1);
    var fn = sum(hist.pos, 0) - tp, tn = sum(hist.neg, 0) - fp;
    return { tp: tp, fp: fp, fn: fn, tn: tn, n: tp + fp + fn + tn };
  }

  function metrics(c) {
    return {
      selection_rate: ratio(c.tp + c.fp, c.n),
      tpr: ratio(c.tp, c.tp + c.fn),
      fpr: ratio(c.fp, c.fp + c.tn),
      ppv: ratio(c.tp, c.tp + c.fp)
    };
  }

  /* A rate for people: one decimal, more for rare events (a 0.03% false-match rate). */
  function pct(x) {
    if (x === null) { return "—"; }
    var p = 100 * x, a = Math.abs(p);
    return p.toFixed(a === 0 || a >= 1 ? 1 : a >= 0.1 ? 2 : 3) + "%";
  }

  function Explorer(root) {
    var data = JSON.parse(root.querySelector("script.explorer-data").textContent);
    this.root = root;
    this.d = data;
    this.words = data.words;
    this.attr = data.headline_attribute;
    this.build();
  }

  Explorer.prototype.build = function () {
    var self = this, d = this.d, w = this.words;
    var ui = el("div", { "class": "explorer-ui" });
    var attrs = Object.keys(d.attributes);
    if (attrs.length > 1) {
      var label = el("label", {}, w.attribute + " ");
      var select = el("select", { "aria-label": w.attribute });
      attrs.forEach(function (a) {
        var o = el("option", { value: a }, a);
        if (a === self.attr) { o.selected = true; }
        select.appendChild(o);
      });
      select.addEventListener("change", function () {
        self.attr = select.value;
        self.renderedFor = self.attr;
        self.render();
      });
      label.appendChild(select);
      ui.appendChild(label);
    }
    this.body = el("div", { "class": "explorer-body" });
    ui.appendChild(this.body);
    var buttons = el("div", { "class": "explorer-buttons", role: "group",
                              "aria-label": w.equalise });
    [["selection_rate", w.equalise_selection_rate], ["tpr", w.equalise_tpr],
     ["fpr", w.equalise_fpr]].forEach(function (pair) {
      var b = el("button", { type: "button", "class": "md-button", "data-equalise": pair[0] },
                 pair[1]);
      b.addEventListener("click", function () { self.equalise(pair[0]); });
      buttons.appendChild(b);
    });
    var reset = el("button", { type: "button", "class": "md-button", "data-reset": "" }, w.reset);
    reset.addEventListener("click", function () { self.reset(); });
    buttons.appendChild(reset);
    ui.appendChild(buttons);
    this.status = el("p", { "class": "explorer-status", role: "status", "aria-live": "polite" });
    ui.appendChild(this.status);
    this.root.appendChild(ui);
    this.thresholds = {};
    this.reset();
  };

  Explorer.prototype.groups = function () { return this.d.attributes[this.attr].groups; };

  Explorer.prototype.reset = function () {
    var self = this;
    this.global = this.d.threshold_index;
    Object.keys(this.d.attributes).forEach(function (a) {
      self.thresholds[a] = {};
      self.d.attributes[a].groups.forEach(function (g) { self.thresholds[a][g] = self.global; });
    });
    this.status.textContent = "";
    if (this.sliders && this.renderedFor === this.attr) { this.update(); } else { this.render(); }
    this.renderedFor = this.attr;
  };

  Explorer.prototype.counts = function (against, group) {
    return counts(this.d.attributes[this.attr].counts[against][group],
                  this.thresholds[this.attr][group]);
  };

  /* Favourable rate over the highest among groups large enough to trust; the flag. */
  Explorer.prototype.impact = function (against) {
    var self = this, d = this.d, fav = {}, eligible = [];
    this.groups().forEach(function (g) {
      var c = self.counts(against, g), sr = ratio(c.tp + c.fp, c.n);
      fav[g] = sr === null ? null : (d.favorable_prediction === 1 ? sr : 1 - sr);
      var small = c.n < d.min_group_size || c.n / d.rows < d.min_group_share;
      if (!small && fav[g] !== null) { eligible.push(fav[g]); }
    });
    if (!eligible.length) {
      this.groups().forEach(function (g) { if (fav[g] !== null) { eligible.push(fav[g]); } });
    }
    var top = Math.max.apply(null, eligible), out = {};
    this.groups().forEach(function (g) {
      var ir = fav[g] === null || !(top > 0) ? null : fav[g] / top;
      out[g] = { favorable_rate: fav[g], impact_ratio: ir,
                 flagged: ir !== null && ir < d.four_fifths };
    });
    return out;
  };

  Explorer.prototype.slider = function (label, onInput) {
    var d = this.d, wrap = el("span", { "class": "explorer-slider" });
    var input = el("input", { type: "range", min: "0", max: String(d.edges.length - 1),
                              step: "1", "aria-label": label });
    var value = el("output");
    input.addEventListener("input", function () { onInput(parseInt(input.value, 10)); });
    wrap.appendChild(input);
    wrap.appendChild(value);
    return { wrap: wrap, input: input, output: value };
  };

  /* The structure for the chosen attribute; update() then fills in the numbers. */
  Explorer.prototype.render = function () {
    var self = this, d = this.d, w = this.words;
    this.body.textContent = "";
    this.sliders = {};
    this.cells = [];
    var all = el("p", { "class": "explorer-all" });
    all.appendChild(el("span", {}, w.all_groups_label + " "));
    var global = this.slider(w.all_groups, function (k) {
      self.global = k;
      self.groups().forEach(function (g) { self.thresholds[self.attr][g] = k; });
      self.update();
    });
    this.sliders[""] = global;
    all.appendChild(global.wrap);
    this.body.appendChild(all);
    var againsts = Object.keys(d.attributes[this.attr].counts);
    againsts.forEach(function (against, t) {
      var table = el("table", { "class": "explorer-table", "data-against": against });
      table.appendChild(el("caption", {}, w["caption_" + against]));
      var head = el("tr");
      [w.group, w.threshold].concat(METRICS.map(function (m) { return w[m]; }))
        .concat([w.favorable_rate, w.impact_ratio]).forEach(function (h) {
          head.appendChild(el("th", { scope: "col" }, h));
        });
      table.appendChild(el("thead")).appendChild(head);
      var body = el("tbody");
      self.groups().forEach(function (g) {
        var tr = el("tr");
        tr.appendChild(el("th", { scope: "row" }, g));
        var cell = el("td");
        if (t === 0) {
          var s = self.slider(g, function (k) {
            self.thresholds[self.attr][g] = k;
            self.update();
          });
          self.sliders[g] = s;
          cell.appendChild(s.wrap);
        } else {
          cell.setAttribute("data-threshold-of", g);
        }
        tr.appendChild(cell);
        METRICS.concat(["favorable_rate", "impact_ratio"]).forEach(function (name) {
          var td = el("td", { "data-group": g, "data-metric": name, "data-against": against });
          self.cells.push(td);
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      table.appendChild(body);
      self.body.appendChild(table);
    });
    this.update();
  };

  Explorer.prototype.update = function () {
    var self = this, d = this.d, w = this.words, th = this.thresholds[this.attr];
    function show(s, k) {
      s.input.value = String(k);
      s.output.textContent = d.edges[k].toPrecision(3);
      s.input.setAttribute("aria-valuetext", d.edges[k].toPrecision(3));
    }
    show(this.sliders[""], this.global);
    this.groups().forEach(function (g) { show(self.sliders[g], th[g]); });
    this.body.querySelectorAll("[data-threshold-of]").forEach(function (c) {
      c.textContent = d.edges[th[c.getAttribute("data-threshold-of")]].toPrecision(3);
    });
    var values = {};
    Object.keys(d.attributes[this.attr].counts).forEach(function (against) {
      var impact = self.impact(against);
      values[against] = {};
      self.groups().forEach(function (g) {
        var m = metrics(self.counts(against, g));
        m.favorable_rate = impact[g].favorable_rate;
        m.impact_ratio = impact[g].impact_ratio;
        m.flagged = impact[g].flagged;
        values[against][g] = m;
      });
    });
    this.cells.forEach(function (td) {
      var m = values[td.getAttribute("data-against")][td.getAttribute("data-group")];
      var name = td.getAttribute("data-metric"), v = m[name];
      td.setAttribute("data-value", v === null ? "" : String(v));
      td.textContent = v === null ? "—" : (name === "impact_ratio" ? v.toFixed(2) : pct(v));
      td.classList.remove("explorer-flag");
      if (name === "impact_ratio" && m.flagged) {
        td.classList.add("explorer-flag");
        td.appendChild(el("span", { "class": "explorer-flag-text" }, " " + w.below_four_fifths));
      }
    });
  };

  /* Per-group thresholds that bring each group's metric (against the first basis, the
     label) closest to the reference group's, at the reference group's threshold. */
  Explorer.prototype.equalise = function (name) {
    var self = this, d = this.d, a = d.attributes[this.attr];
    var against = Object.keys(a.counts)[0], ref = a.reference;
    var target = metrics(this.counts(against, ref))[name];
    if (target === null) { return; }
    this.groups().forEach(function (g) {
      if (g === ref) { return; }
      var best = self.thresholds[self.attr][g], gap = Infinity;
      for (var k = 0; k < d.edges.length; k++) {
        var v = metrics(counts(a.counts[against][g], k))[name];
        if (v !== null && Math.abs(v - target) < gap - 1e-12) { gap = Math.abs(v - target); best = k; }
      }
      self.thresholds[self.attr][g] = best;
    });
    this.update();
    this.status.textContent = this.words["equalised_" + name];
  };

  function start() {
    var roots = document.querySelectorAll("[data-explorer]");
    for (var i = 0; i < roots.length; i++) {
      if (!roots[i].dataset.ready) {
        roots[i].dataset.ready = "1";
        new Explorer(roots[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
