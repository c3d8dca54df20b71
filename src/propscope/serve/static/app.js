// The propscope page: asks the API, draws the answer. Article text only ever reaches the page
// through textContent and text nodes, never as markup.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var techniques = [];          // the catalogue, in order: number = index + 1
  var byName = {};
  var result = null;            // the last analysis, as the API returned it
  var chars = [];               // its text as code points: the API's offsets count them, not UTF-16 units
  var asked = null;             // the request that produced it
  var techniquesFor = null;     // the reading of names the techniques' reliability is for
  var quiet = false;            // focus given back to a fragment, not to show its explanation again
  var on = {};                  // technique name -> shown
  var minimum = 0;
  var RETRIES = 30;

  // -- talking to the API --------------------------------------------------------------------
  function headers() {
    var h = {"Content-Type": "application/json"}, token = $("token").value.trim();
    if (token) { h.Authorization = "Bearer " + token; }
    return h;
  }

  // A busy server (429) is asked again after the seconds its Retry-After says, RETRIES times.
  function call(method, path, body, tries) {
    tries = tries || 0;
    return fetch(path, {method: method, headers: headers(), body: body ? JSON.stringify(body) : undefined,
                        credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.ok) { return response; }
        if (response.status === 429 && tries < RETRIES) {
          var seconds = Math.max(1, parseInt(response.headers.get("Retry-After"), 10) || 1);
          var shown = $("status").textContent;
          $("status").textContent = "The server is busy; asking again in " + seconds + " s…";
          return new Promise(function (resolve) { setTimeout(resolve, seconds * 1000); }).then(function () {
            $("status").textContent = shown;
            return call(method, path, body, tries + 1);
          });
        }
        if (response.status === 401) { $("token-row").hidden = false; }
        return response.json().catch(function () { return {}; }).then(function (data) {
          var error = (data && data.error) || {};
          throw new Error(error.message || ("the server answered " + response.status));
        });
      });
  }

  // the catalogue, with how far to trust the model for the reading of names asked for
  function loadTechniques(blind) {
    return call("GET", "/v1/techniques?blind_names=" + blind).then(function (r) { return r.json(); }).then(function (data) {
      techniques = data.techniques;
      techniquesFor = blind;
      techniques.forEach(function (t, i) { t.number = i + 1; byName[t.name] = t; });
      drawLegend();
    });
  }

  // A saved web page, by the rule the command line uses (propscope.text.html.looks_like_html).
  function looksLikeHtml(text) {
    var head = text.replace(/^[\ufeff \t\r\n]+/, "").slice(0, 200).toLowerCase();
    return /^(<!doctype html|<html|<\?xml)/.test(head) ||
      (head.charAt(0) === "<" && head.indexOf("<head") >= 0 && /<body/i.test(text));
  }

  function request() {
    var url = $("url").value.trim(), text = $("text").value, body = {};
    if (url) { body.url = url; }
    else if (looksLikeHtml(text)) { body.html = text; }
    else { body.text = text; }
    if ($("sensitive").checked) { body.sensitive = true; }
    body.blind_names = $("blind-names").checked;
    if ($("any-language").checked) { body.any_language = true; }
    return body;
  }

  function analyse(event) {
    event.preventDefault();
    if ($("analyse").getAttribute("aria-disabled") === "true") { return; }     // one analysis at a time
    var body = request();
    if (!body.url && !(body.text || body.html || "").trim()) {
      return refused("Paste an article, or give a web address.");
    }
    if (body.url && $("text").value.trim()) {
      return refused("Both an article and a web address are given: clear the one not to analyse.");
    }
    busy("Analysing…");
    // the last result out of sight while this one is made, its place kept: were it removed, the page
    // would shrink and the form slide under the pointer (a second click then ticked a box)
    $("result").style.visibility = "hidden";
    hideTip();
    var ready = techniques.length && techniquesFor === body.blind_names ? Promise.resolve()
      : loadTechniques(body.blind_names);
    ready.then(function () { return call("POST", "/v1/analyze", body); })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        asked = body;
        busy("");
        show(data);
        $("status").textContent = plural(data.summary.spans, "fragment") + " found" +
          (shown().length < data.summary.spans ? ", " + shown().length + " shown." : ".");
      })
      .catch(function (error) { busy(""); refused(error.message); });
  }

  // a failed or refused analysis leaves no earlier result, and its downloads, in view
  function refused(message) {
    $("result").hidden = true;
    hideTip();
    problem(message);
  }

  function busy(message) {
    $("status").textContent = message;
    // aria-disabled, not disabled: a disabled button would drop the keyboard's focus to the page
    $("analyse").setAttribute("aria-disabled", message ? "true" : "false");
    if (message) { $("problem").hidden = true; }
  }

  function problem(message) {
    $("problem").textContent = message;
    $("problem").hidden = false;
  }

  // -- drawing -----------------------------------------------------------------------------
  // a confidence rounded down to two places, as the text shows it: a fragment shown at 0.14 is
  // never one the slider at 0.14 hides
  function twoPlaces(c) {
    return (Math.floor(Math.round(c * 1e6) / 1e4) / 100).toFixed(2);
  }

  function add(parent, tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined) { el.textContent = text; }
    parent.appendChild(el);
    return el;
  }

  function swatch(parent, t) {
    var s = add(parent, "span", "swatch");
    s.style.background = t.colour;
    return s;
  }

  function drawLegend() {
    var list = $("legend-list");
    list.textContent = "";
    techniques.forEach(function (t) {
      var item = add(list, "li");
      swatch(item, t);
      add(item, "strong", "", t.label);
      add(item, "span", "", ": " + t.definition + " ");
      add(item, "em", "", "Example: “" + t.example + "”");
      if (t.reliability) { add(item, "span", "reliability", "Model: " + t.reliability.summary + "."); }
    });
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function show(data) {
    result = data;
    chars = Array.from(data.text);
    on = {};
    Object.keys(data.summary.counts).forEach(function (name) { on[name] = true; });
    var meta = data.meta || {};
    $("title").textContent = meta.title || (asked.url ? asked.url : "Your article");
    $("byline").textContent = [meta.site, meta.author, meta.published, meta.url].filter(Boolean).join(" · ");
    $("summary").textContent = plural(data.summary.spans, "fragment") + ", " + Math.round(data.summary.coverage * 100) + "% of the text" +
      (meta.language && meta.language !== "en" ? "; language: " + meta.language +
        " (the model knows English news only)" : "") + ". Model " + data.model + ".";
    drawFilters();
    $("result").hidden = false;
    $("result").style.visibility = "";
    draw();
    $("title").focus({preventScroll: true});      // the keyboard and a screen reader go on from the result
    $("title").scrollIntoView({block: "start"});
  }

  function drawFilters() {
    var list = $("filter-list");
    list.textContent = "";
    Object.keys(result.summary.counts).forEach(function (name) {
      var t = byName[name], label = add(list, "label", "filter");
      var box = add(label, "input");
      box.type = "checkbox";
      box.checked = true;
      box.value = name;
      box.addEventListener("change", function () { on[name] = box.checked; draw(); });
      swatch(label, t);
      var text = add(label, "span", "", t.number + " " + t.label + " (");
      add(text, "span", "count", "0").setAttribute("data-t", name);
      text.appendChild(document.createTextNode(")"));
    });
    if (!list.childNodes.length) { add(list, "p", "muted", "No technique found."); }
  }

  function shown() {
    return result.spans.filter(function (s) { return on[s.technique] && s.confidence >= minimum; });
  }

  // What the filters hide, said in words: the counts above are the whole analysis
  function describeShown(spans) {
    var hidden = Object.keys(on).filter(function (name) { return !on[name]; }).length;
    if (spans.length === result.spans.length) { $("shown").textContent = ""; return; }
    $("shown").textContent = "Showing " + spans.length + " of " + plural(result.spans.length, "fragment") +
      (minimum > 0 ? ": confidence " + minimum.toFixed(2) + " or more" : ":") +
      (hidden ? (minimum > 0 ? ", " : " ") + plural(hidden, "technique") + " hidden" : "") +
      ". Downloads hold what is shown.";
  }

  // The text cut at every boundary of the shown spans: [start, end, spans covering it].
  function segments(spans, length) {
    var cuts = [0, length];
    spans.forEach(function (s) { cuts.push(s.start, s.end); });
    cuts = cuts.filter(function (c, i) { return cuts.indexOf(c) === i; }).sort(function (a, b) { return a - b; });
    var out = [];
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      out.push([a, b, spans.filter(function (s) { return s.start <= a && s.end >= b; })]);
    }
    return out;
  }

  function draw() {
    hideTip();
    var spans = shown(), article = $("article"), counts = {};
    describeShown(spans);
    spans.forEach(function (s) { counts[s.technique] = (counts[s.technique] || 0) + 1; });
    document.querySelectorAll(".count").forEach(function (c) {
      c.textContent = counts[c.getAttribute("data-t")] || 0;
    });
    article.textContent = "";
    segments(spans, chars.length).forEach(function (seg) {
      var piece = chars.slice(seg[0], seg[1]).join(""), covering = seg[2];
      if (!covering.length) { article.appendChild(document.createTextNode(piece)); return; }
      covering.sort(function (x, y) { return (x.end - x.start) - (y.end - y.start); });
      var t = byName[covering[0].technique], mark = add(article, "mark", "frag", piece);
      mark.style.backgroundColor = t.colour + "55";
      mark.style.boxShadow = "inset 0 -3px 0 " + t.colour;
      if (covering.length > 1) { mark.classList.add("ov"); }
      mark.tabIndex = 0;
      mark.spans = covering;
      var ending = covering.filter(function (s) { return s.end === seg[1]; });
      if (ending.length) {
        var numbers = ending.map(function (s) { return byName[s.technique].number; });
        add(article, "sup", "tag", numbers.filter(function (n, k) { return numbers.indexOf(n) === k; }).join(","));
      }
    });
    drawTable(spans);
  }

  function drawTable(spans) {
    var body = document.querySelector("#spans tbody");
    body.textContent = "";
    spans.forEach(function (s) {
      var row = add(body, "tr"), t = byName[s.technique];
      add(row, "td", "num", s.start + "–" + s.end);
      add(row, "td", "", s.fragment);
      var cell = add(row, "td");
      swatch(cell, t);
      add(cell, "span", "", t.number + " " + t.label);
      add(row, "td", "num", twoPlaces(s.confidence));
    });
  }

  // -- the corpus, when the server has one -------------------------------------------------
  // Without a corpus, or one the model has not analysed, the section stays hidden. The chart
  // comes as a blob, shown as a data: URL, so that it can carry the token like every other call.
  var corpusAsked = 0;          // the latest corpus request: an earlier one answering late is dropped
  function loadCorpus() {
    var period = $("corpus-period").value, query = "?period=" + encodeURIComponent(period);
    var auth = headers(), section = $("corpus"), status = $("corpus-status"), mine = ++corpusAsked;
    delete auth["Content-Type"];
    status.textContent = "Loading…";
    function current(value) {
      if (mine !== corpusAsked) { throw new Error(""); }    // a later choice is being loaded: say nothing
      return value;
    }
    function get(path) {
      return fetch(path, {headers: auth, credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (response.ok) { return response; }
          if (response.status === 401) { $("token-row").hidden = false; }
          return response.json().catch(function () { return {}; }).then(function (data) {
            var error = new Error(((data && data.error) || {}).message || ("the server answered " + response.status));
            error.status = response.status;
            throw error;
          });
        });
    }
    return get("/v1/corpus").then(function (r) { return r.json(); }).then(current)
      .then(function (corpus) {
        if (!corpus.present || !corpus.models[corpus.model]) {    // nothing to draw: no section
          section.hidden = true;
          throw new Error("");
        }
        return get("/v1/stats" + query).then(function (r) { return r.json(); });
      })
      .then(current)
      .then(function (data) {
        describeCorpus(data);
        section.hidden = false;
        return get("/v1/stats/chart.png" + query);
      })
      .then(current)
      .then(function (r) { return r.blob(); })
      .then(function (blob) {
        var reader = new FileReader();
        reader.onload = function () {
          if (mine !== corpusAsked) { return; }
          var chart = $("corpus-chart"), per = $("corpus-period").value;
          chart.src = reader.result;
          chart.alt = "Chart: fragments per 1,000 words per outlet, and the share of articles using the most " +
            "frequent techniques, " + (per === "all" ? "over all dates" : "per " + per) + ". " +
            $("corpus-summary").textContent;
          chart.hidden = false;
          status.textContent = "";
        };
        reader.readAsDataURL(blob);
      })
      .catch(function (error) {
        if (mine !== corpusAsked) { return; }
        status.textContent = error.status === 401 ? "" : error.message;
        if (error.message) { $("corpus-chart").hidden = true; $("corpus-summary").textContent = ""; }   // not another period's
      });
  }

  function describeCorpus(data) {
    var groups = {}, outlets = {}, periods = {};
    data.rows.forEach(function (r) {
      groups[r.outlet + "\u0000" + r.period] = r.articles;
      outlets[r.outlet] = true;
      if (r.period !== "undated") { periods[r.period] = true; }     // no period of its own
    });
    var articles = Object.keys(groups).reduce(function (n, k) { return n + groups[k]; }, 0);
    var nOutlets = Object.keys(outlets).length, nPeriods = Object.keys(periods).length;
    $("corpus-summary").textContent = articles + " article" + (articles === 1 ? "" : "s") + " from " + nOutlets +
      " outlet" + (nOutlets === 1 ? "" : "s") +
      (nPeriods ? " over " + nPeriods + " period" + (nPeriods === 1 ? "" : "s") : ", none of them dated") +
      ", analysed by model " + data.model + ".";
  }

  // -- the explanation of a fragment ----------------------------------------------------------
  var tip = $("tip"), tipFor = null;

  function showTip(mark) {
    tip.textContent = "";
    mark.spans.forEach(function (s) {
      var t = byName[s.technique], item = add(tip, "div", "item"), name = add(item, "div", "name");
      swatch(name, t);
      add(name, "span", "", t.number + " " + t.label);
      add(item, "div", "conf", "confidence " + twoPlaces(s.confidence));
      var points = Array.from(s.fragment);     // cut between characters, not inside an emoji
      var f = points.length > 300 ? points.slice(0, 300).join("") + "…" : s.fragment;
      add(item, "div", "fragment", "“" + f + "”");
      add(item, "div", "definition", t.definition);
      if (t.reliability) {
        add(item, "div", "reliability", "Model: " + t.reliability.found + ", " + t.reliability.right + ".");
      }
    });
    tip.hidden = false;
    if (tipFor && tipFor !== mark) { tipFor.removeAttribute("aria-describedby"); }
    tipFor = mark;
    mark.setAttribute("aria-describedby", "tip");      // read out with the fragment
    var box = mark.getBoundingClientRect(), width = document.documentElement.clientWidth;
    tip.style.left = Math.max(8, Math.min(window.scrollX + box.left,
                                          window.scrollX + width - tip.offsetWidth - 8)) + "px";
    tip.style.top = (window.scrollY + box.bottom + 6) + "px";
  }

  function hideTip() {
    var back = tip.contains(document.activeElement) ? tipFor : null;
    if (tipFor) { tipFor.removeAttribute("aria-describedby"); }
    tip.hidden = true;
    tipFor = null;
    if (back) {           // focus in the explanation goes back to its fragment, not to the page's start
      quiet = true;
      back.focus({preventScroll: true});
      quiet = false;
    }
  }

  function isMark(el) { return el && el.classList && el.classList.contains("frag"); }

  function readSlider() {
    minimum = Number($("threshold").value) || 0;
    $("threshold-value").textContent = minimum.toFixed(2);
  }

  function wire() {
    var article = $("article");
    // hover with a mouse; a finger taps (click), and its emulated mouse events are ignored
    article.addEventListener("pointerover", function (e) {
      if (e.pointerType === "mouse" && isMark(e.target)) { showTip(e.target); }
    });
    // the explanation stays while the pointer moves onto it (WCAG 1.4.13), and goes when it leaves both
    article.addEventListener("pointerout", function (e) {
      if (e.pointerType === "mouse" && isMark(e.target) && !tip.contains(e.relatedTarget)) { hideTip(); }
    });
    tip.addEventListener("pointerleave", function (e) {
      if (e.pointerType === "mouse" && e.relatedTarget !== tipFor) { hideTip(); }
    });
    article.addEventListener("focusin", function (e) { if (isMark(e.target) && !quiet) { showTip(e.target); } });
    // Tab from the explanation goes on from its fragment (focus moved back there before the browser
    // moves it on), not from the page's end, where the explanation stands; Shift+Tab stops at the fragment
    tip.addEventListener("keydown", function (e) {
      if (e.key === "Tab" && tipFor) {
        if (e.shiftKey) { e.preventDefault(); }
        hideTip();
      }
    });
    // a click in the explanation (to select its text) focuses it and keeps it; focus elsewhere hides it
    article.addEventListener("focusout", function (e) {
      if (isMark(e.target) && !tip.contains(e.relatedTarget)) { hideTip(); }
    });
    tip.addEventListener("focusout", function (e) {
      if (e.relatedTarget !== tipFor && !tip.contains(e.relatedTarget)) { hideTip(); }
    });
    article.addEventListener("click", function (e) {     // a tap on a phone
      if (isMark(e.target)) { e.stopPropagation(); showTip(e.target); }
    });
    document.addEventListener("click", function (e) { if (!tip.contains(e.target)) { hideTip(); } });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { hideTip(); } });
    article.addEventListener("keydown", function (e) {   // and Enter or Space brings it back
      if ((e.key === "Enter" || e.key === " ") && isMark(e.target)) { e.preventDefault(); showTip(e.target); }
    });

    $("ask").addEventListener("submit", analyse);
    $("text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { analyse(e); }
    });
    $("threshold").addEventListener("input", function () {
      readSlider();
      if (result) { draw(); }
    });
    window.addEventListener("pageshow", function () {    // the browser may have put it back where it was (Back)
      readSlider();
      if (result) { draw(); }
    });
    $("download-json").addEventListener("click", function () { download("/v1/analyze", "json"); });
    $("download-html").addEventListener("click", function () { download("/v1/report", "html"); });
    $("corpus-period").addEventListener("change", loadCorpus);
    // how far to trust the model, for the reading the box asks for; a result shown keeps its own
    $("blind-names").addEventListener("change", function () {
      if (!result) { loadTechniques($("blind-names").checked).catch(function () {}); }
    });
    $("token").addEventListener("change", function () {
      // the token given works: the refusal that asked for it goes; the figures stay the shown result's
      loadTechniques(asked ? asked.blind_names : $("blind-names").checked).then(function () { $("problem").hidden = true; })
        .catch(function () {});
      loadCorpus();
    });
  }

  // Downloads hold what is shown: the same request with the shown confidence, and every technique
  // but those unticked (so the files name only those as left out). A fetched page is sent back as
  // the text it gave, with its description, not fetched again: it may have changed, or gone.
  function download(path, kind) {
    if ($("analyse").getAttribute("aria-disabled") === "true") { return; }   // one analysis or download at a time
    var body = Object.assign({}, asked, {threshold: minimum});
    if (body.url) {
      delete body.url;
      Object.assign(body, {text: result.text, id: result.id, source: result.source, meta: result.meta});
    }
    if (Object.keys(on).some(function (name) { return !on[name]; })) {
      body.techniques = techniques.map(function (t) { return t.name; })
        .filter(function (name) { return on[name] !== false; });
    }
    var said = $("status").textContent;
    busy("Preparing the download…");
    call("POST", path, body).then(function (r) { return r.blob(); }).then(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "propscope-" + (result.id || "article") + "." + kind;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
      busy("");
      $("status").textContent = said;       // the result's line, not the download's
    }).catch(function (error) { busy(""); $("status").textContent = said; problem(error.message); });
  }

  wire();
  loadTechniques($("blind-names").checked).catch(function (error) { problem(error.message); });
  loadCorpus();
})();
