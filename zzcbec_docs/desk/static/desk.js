// Progressive enhancement only: the form works without this file.
// While figures are typed, ask the desk (the same engine as `zzcbec check`) for the decision.
(function () {
  "use strict";
  var form = document.getElementById("apply");
  if (!form || !window.fetch || !window.FormData) { return; }
  var timer = null, seq = 0;
  function refresh() {
    var data = new FormData(form);
    data.delete("attachment");
    data.delete("bundle_file");
    var mine = ++seq;
    fetch(form.getAttribute("data-preview"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || mine !== seq) { return; }
        var box = document.getElementById("result");
        var tmp = document.createElement("div");
        tmp.innerHTML = html;
        var fresh = tmp.querySelector("#result");
        if (box && fresh) { box.replaceWith(fresh); }
      })
      .catch(function () { /* the Check button still works */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
