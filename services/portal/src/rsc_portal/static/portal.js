// Progressive enhancement only: every page works without JavaScript except partial updates (htmx).
// Upload progress: htmx reports XHR progress on the form that sends the file.
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target.closest ? event.target.closest("form") : null;
  var bar = form ? form.querySelector("progress") : null;
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});
// Move keyboard focus to an error summary that a partial update brought in, so it is read out.
document.addEventListener("htmx:afterSwap", function (event) {
  var summary = event.target.querySelector ? event.target.querySelector("#error-summary") : null;
  if (summary) { summary.focus(); }
});
