// Site-wide behaviour, kept out of the pages: the Content Security Policy allows no
// inline script or event handler attributes.

// <select data-submit-on-change>: choosing an option submits its form (a month
// picker, say); without JavaScript the form's own button does the same.
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-submit-on-change]") && event.target.form) {
    event.target.form.requestSubmit();
  }
});
