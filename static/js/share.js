/* Thank-you page sharing, progressive enhancement only: the links work without it.
   Shows the native share sheet button where the phone has one, and a copy button. */
(function () {
  "use strict";
  var share = document.getElementById("native-share");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({
        title: share.dataset.title,
        text: share.dataset.text,
        url: share.dataset.url
      }).catch(function () { /* the person closed the sheet */ });
    });
  }
  var copy = document.getElementById("copy-link");
  var input = document.getElementById("share-link");
  if (copy && input && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        copy.textContent = copy.dataset.done;
      }, function () {
        input.select();
      });
    });
  }
})();
