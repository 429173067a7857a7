/*
 * The hidden page of js_GestPay.js. It takes requests only from the window
 * that framed it and answers only to the origin they came from; the card
 * goes from here to the gateway by a same-origin request, never through
 * the shop's server.
 */
(function (window, document) {
	"use strict";

	var root = document.documentElement;
	var page = {
		code: parseInt(root.getAttribute("data-code"), 10),
		description: root.getAttribute("data-description") || "",
		technical: root.getAttribute("data-technical") || "",
		lang: root.getAttribute("lang") || "it",
		a: root.getAttribute("data-a") || "",
		b: root.getAttribute("data-b") || ""
	};
	var PAYMENT_KEYS = ["CC", "EXPMM", "EXPYY", "CVV2", "Name", "Email", "PARes", "TransKey"];

	function reply(event, id, result) {
		event.source.postMessage(JSON.stringify({gestpay: 1, id: id, result: result}), event.origin);
	}

	// send posts the payment to the gateway and gives done its Result.
	function send(payment, done) {
		var body = {a: page.a, b: page.b};
		for (var i = 0; i < PAYMENT_KEYS.length; i++) {
			var k = PAYMENT_KEYS[i];
			if (payment && typeof payment[k] === "string") {
				body[k] = payment[k];
			}
		}
		var xhr = new XMLHttpRequest();
		xhr.open("POST", "sendpayment.aspx", true);
		xhr.setRequestHeader("Content-Type", "application/json");
		xhr.onreadystatechange = function () {
			if (xhr.readyState !== 4) {
				return;
			}
			var r = null;
			try {
				r = JSON.parse(xhr.responseText);
			} catch (e) {
				r = null;
			}
			if (!r || typeof r.ErrorCode !== "number") {
				r = {ErrorCode: 9999, ErrorDescription: page.technical};
			}
			done(r);
		};
		xhr.send(JSON.stringify(body));
	}

	window.addEventListener("message", function (event) {
		if (window.parent === window || event.source !== window.parent) {
			return;
		}
		var msg = null;
		try {
			msg = typeof event.data === "string" ? JSON.parse(event.data) : null;
		} catch (e) {
			return;
		}
		if (!msg || msg.gestpay !== 1 || typeof msg.id !== "number") {
			return;
		}
		switch (msg.op) {
		case "hello":
			reply(event, msg.id, {ErrorCode: page.code, ErrorDescription: page.description, Lang: page.lang});
			break;
		case "ping":
			reply(event, msg.id, {ErrorCode: 1111, ErrorDescription: "Ping Back"});
			break;
		case "pay":
			if (page.code !== 10) {
				reply(event, msg.id, {ErrorCode: page.code, ErrorDescription: page.description});
				return;
			}
			send(msg.payment, function (r) {
				reply(event, msg.id, r);
			});
			break;
		}
	}, false);
})(window, document);
