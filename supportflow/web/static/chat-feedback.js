// The chat page's two small forms, shown when a server message asks for them: the rating of
// a closed chat (CSAT: `rate`, after a message with csat_request) and, out of office hours,
// an email address to be answered at (`leave_contact`, after a message with office_closed).
import { el, emit, notify } from "./common.js";

const forms = new Map(); // kind -> element on screen

function place(kind, form) {
  forms.get(kind)?.remove();
  forms.set(kind, form);
  const composer = document.getElementById("composer");
  composer.parentElement.insertBefore(form, composer);
}

/** Show the form `message` asks for, if any; `socket()` is the live connection. */
export function offerFeedback(message, socket) {
  if (message.csat_request && !forms.has("csat")) place("csat", ratingForm(message.room_id, socket));
  if (message.office_closed && !forms.has("contact")) place("contact", contactForm(message.room_id, socket));
}

/** A new chat starts without the last chat's forms. */
export function resetFeedback() {
  for (const form of forms.values()) form.remove();
  forms.clear();
}

/** The socket is gone for good: take away the forms nobody can send any more. */
export function retireFeedback() {
  for (const [kind, form] of forms) {
    if (form.querySelector("[data-testid=feedback-thanks]")) continue;
    form.remove();
    forms.delete(kind);
  }
}

function ratingForm(roomId, socket) {
  const scores = [1, 2, 3, 4, 5].map((score) =>
    el(
      "label",
      { class: "csat-score" },
      el("input", { type: "radio", name: "csat-score", value: String(score), dataset: { testid: `csat-score-${score}` } }),
      el("span", {}, String(score)),
    ),
  );
  const comment = el("textarea", {
    rows: "2",
    maxlength: "2000",
    placeholder: "Anything to add? (optional)",
    dataset: { testid: "csat-comment" },
  });
  const submit = el("button", { type: "submit", class: "primary", dataset: { testid: "csat-submit" } }, "Send rating");
  const form = el(
    "form",
    { class: "feedback csat", dataset: { testid: "csat-form" }, "aria-label": "Rate this chat" },
    el("fieldset", {}, el("legend", {}, "How did we do? 1 is poor, 5 is great."), el("div", { class: "csat-scores" }, scores)),
    comment,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = form.querySelector('input[name="csat-score"]:checked');
    if (!picked) {
      notify("Pick a score from 1 to 5 first.", "warn");
      return;
    }
    submit.disabled = true;
    const payload = { room_id: roomId, score: Number(picked.value) };
    if (comment.value.trim()) payload.comment = comment.value.trim();
    try {
      await emit(socket(), "rate", payload);
      thank(form, "Thank you for your rating!");
    } catch (error) {
      if (error.code === "already_rated") thank(form, "You have already rated this chat. Thank you!");
      else {
        notify(`Your rating was not sent: ${error.message}`, "error");
        submit.disabled = false;
      }
    }
  });
  return form;
}

function contactForm(roomId, socket) {
  const email = el("input", {
    type: "email",
    required: "",
    maxlength: "254",
    autocomplete: "email",
    placeholder: "you@example.com",
    dataset: { testid: "contact-email" },
  });
  const submit = el("button", { type: "submit", dataset: { testid: "contact-submit" } }, "Answer me by email");
  const form = el(
    "form",
    { class: "feedback contact", dataset: { testid: "contact-form" }, "aria-label": "Leave an email address" },
    el("label", {}, "Our team is offline. Leave your email and a message above, and we will reply: ", email),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const ack = await emit(socket(), "leave_contact", { room_id: roomId, email: email.value.trim() });
      thank(form, `Thanks: we will answer at ${ack.email}.`);
    } catch (error) {
      notify(`That address was not taken: ${error.message}`, "error");
      submit.disabled = false;
    }
  });
  return form;
}

function thank(form, text) {
  form.replaceChildren(el("p", { class: "feedback-thanks", dataset: { testid: "feedback-thanks" } }, text));
}
