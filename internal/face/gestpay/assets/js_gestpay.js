/*
 * js_GestPay.js as pasarela serves it: Gestpay's custom payment page.
 *
 * The shop's page includes this script from the gateway and calls
 * GestPay.CreatePaymentPage, which opens a hidden iframe from the gateway's
 * origin; GestPay.SendPayment hands the card to that iframe by postMessage,
 * and the iframe sends it to the gateway. The card never reaches the shop's
 * server. Answers are taken only from the iframe's window and the gateway's
 * origin, and requests are posted only to the gateway's origin.
 *
 * Plain ES5 with no dependency, for the pages shops wrote years ago.
 */
(function (window, document) {
	"use strict";

	// The descriptions of the codes this script answers by itself, in
	// Italian and English, filled in by the gateway from its own table.
	var DESCRIPTIONS = /*DESCRIPTIONS*/{};

	var SCRIPT_PATH = /^(.*)\/pagam\/javascript\/js_gestpay\.js(?:[?#].*)?$/i;

	// The script's own address gives the gateway's address: the iframe
	// comes from there, and only that origin is trusted.
	function scriptSource() {
		var current = document.currentScript;
		if (current && current.src && SCRIPT_PATH.test(current.src)) {
			return current.src;
		}
		var tags = document.getElementsByTagName("script");
		for (var i = tags.length - 1; i >= 0; i--) {
			if (tags[i].src && SCRIPT_PATH.test(tags[i].src)) {
				return tags[i].src;
			}
		}
		return "";
	}

	var source = scriptSource();
	var match = SCRIPT_PATH.exec(source);
	var base = match ? match[1] : "";
	var gatewayOrigin = "";
	if (base) {
		var link = document.createElement("a");
		link.href = base + "/";
		gatewayOrigin = link.protocol + "//" + link.host;
	}

	var enabled = !!(base && window.postMessage && window.JSON && window.XMLHttpRequest &&
		window.addEventListener && document.createElement);
	window.BrowserEnabled = enabled;

	var lang = "it";
	var frame = null;       // the hidden iframe
	var frameWindow = null; // its window once loaded
	var ready = false;      // the iframe said 10
	var seq = 0;
	var pending = {};
	var last = null;

	function describe(code) {
		var table = DESCRIPTIONS[lang] || DESCRIPTIONS.it || {};
		return table[String(code)] || "";
	}

	// result makes the Result object every callback gets.
	function result(code, description, from) {
		var r = {
			ErrorCode: code,
			ErrorDescription: typeof description === "string" ? description : describe(code),
			EncryptedResponse: "",
			EncryptedString: "",
			TransKey: "",
			VBVRisp: ""
		};
		if (from) {
			r.EncryptedString = r.EncryptedResponse = String(from.EncryptedString || "");
			r.TransKey = String(from.TransKey || "");
			r.VBVRisp = String(from.VBVRisp || "");
		}
		return r;
	}

	function answer(cb, r) {
		last = r;
		if (typeof cb === "function") {
			cb(r);
		}
	}

	function copy(r) {
		var c = {};
		for (var k in r) {
			if (Object.prototype.hasOwnProperty.call(r, k)) {
				c[k] = r[k];
			}
		}
		return c;
	}

	function onMessage(event) {
		if (!frameWindow || event.source !== frameWindow || event.origin !== gatewayOrigin) {
			return;
		}
		var msg = null;
		try {
			msg = typeof event.data === "string" ? JSON.parse(event.data) : null;
		} catch (e) {
			return;
		}
		if (!msg || msg.gestpay !== 1 || !Object.prototype.hasOwnProperty.call(pending, msg.id)) {
			return;
		}
		var p = pending[msg.id];
		delete pending[msg.id];
		window.clearTimeout(p.timer);
		p.done(msg.result && typeof msg.result === "object" ? msg.result : null);
	}

	if (enabled) {
		window.addEventListener("message", onMessage, false);
	}

	// ask posts a request to the iframe; done gets its answer, or null when
	// none came in time.
	function ask(op, data, timeout, done) {
		var id = ++seq;
		var p = {done: done};
		p.timer = window.setTimeout(function () {
			delete pending[id];
			done(null);
		}, timeout);
		pending[id] = p;
		data.gestpay = 1;
		data.id = id;
		data.op = op;
		frameWindow.postMessage(JSON.stringify(data), gatewayOrigin);
	}

	function removeFrame() {
		if (frame && frame.parentNode) {
			frame.parentNode.removeChild(frame);
		}
		frame = frameWindow = null;
		ready = false;
		pending = {};
	}

	function digits(s) {
		return /^[0-9]+$/.test(s);
	}

	// Published test numbers whose check digit is wrong and which the
	// gateway accepts all the same (Gestpay's 5364000000000987): the
	// script agrees with the server, which fills the list in.
	var CHECK_DIGIT_EXEMPT = /*EXEMPT*/[];

	function luhn(number) {
		for (var j = 0; j < CHECK_DIGIT_EXEMPT.length; j++) {
			if (CHECK_DIGIT_EXEMPT[j] === number) {
				return true;
			}
		}
		var sum = 0, double = false;
		for (var i = number.length - 1; i >= 0; i--) {
			var d = number.charCodeAt(i) - 48;
			if (double) {
				d *= 2;
				if (d > 9) {
					d -= 9;
				}
			}
			sum += d;
			double = !double;
		}
		return sum % 10 === 0;
	}

	function monthCode(mm) {
		mm = String(mm === undefined || mm === null ? "" : mm);
		return mm.length >= 1 && mm.length <= 2 && digits(mm) && +mm >= 1 && +mm <= 12 ? 0 : 1124;
	}

	function yearCode(yy) {
		yy = String(yy === undefined || yy === null ? "" : yy);
		// One or two digits, as the gateway takes them.
		return yy.length >= 1 && yy.length <= 2 && digits(yy) ? 0 : 1125;
	}

	function check(cb, code) {
		var r = result(code, code === 0 ? "" : undefined);
		if (typeof cb === "function") {
			cb(r);
		}
		return r;
	}

	window.GestPay = {
		CreatePaymentPage: function (shopLogin, encString, cb) {
			if (!enabled) {
				answer(cb, result(9991));
				return;
			}
			removeFrame();
			var f;
			try {
				f = document.createElement("iframe");
				f.style.display = "none";
				f.setAttribute("aria-hidden", "true");
				f.setAttribute("tabindex", "-1");
				f.title = "GestPay";
				f.src = base + "/pagam/hiddeniframe.aspx?a=" + encodeURIComponent(String(shopLogin)) +
					"&b=" + encodeURIComponent(String(encString));
				(document.body || document.documentElement).appendChild(f);
			} catch (e) {
				answer(cb, result(9992));
				return;
			}
			frame = f;
			var settled = false;
			function settle(r) {
				if (!settled && frame === f) {
					settled = true;
					answer(cb, r);
				}
			}
			f.onload = function () {
				if (frame !== f || frameWindow) {
					return;
				}
				frameWindow = f.contentWindow;
				ask("hello", {}, 10000, function (r) {
					if (!r) {
						settle(result(9992));
						return;
					}
					if (r.Lang === "it" || r.Lang === "en") {
						lang = r.Lang;
					}
					ready = r.ErrorCode === 10;
					settle(result(r.ErrorCode, String(r.ErrorDescription || "")));
				});
			};
			// A page that never loads (the gateway unreachable) is an
			// iframe that could not be made.
			window.setTimeout(function () {
				if (!frameWindow) {
					settle(result(9992));
				}
			}, 30000);
		},

		SendPayment: function (data, cb) {
			if (!enabled) {
				answer(cb, result(9991));
				return;
			}
			if (!ready || !frameWindow) {
				answer(cb, result(9992));
				return;
			}
			data = data || {};
			var keys = data.PARes !== undefined || data.TransKey !== undefined ?
				["PARes", "TransKey"] : ["CC", "EXPMM", "EXPYY", "CVV2", "Name", "Email"];
			var payment = {};
			for (var i = 0; i < keys.length; i++) {
				if (data[keys[i]] !== undefined && data[keys[i]] !== null) {
					payment[keys[i]] = String(data[keys[i]]);
				}
			}
			ask("pay", {payment: payment}, 120000, function (r) {
				if (!r || typeof r.ErrorCode !== "number") {
					answer(cb, result(9999));
					return;
				}
				answer(cb, result(r.ErrorCode, String(r.ErrorDescription || ""), r));
			});
		},

		ping: function (cb) {
			if (!enabled) {
				answer(cb, result(9991));
				return;
			}
			if (!frameWindow) {
				answer(cb, result(9992));
				return;
			}
			ask("ping", {}, 10000, function (r) {
				answer(cb, r ? result(1111, "Ping Back") : result(9992));
			});
		},

		// getLastAnswer gives the last Result the iframe's calls answered,
		// or null before any.
		getLastAnswer: function (cb) {
			if (typeof cb === "function") {
				cb(last ? copy(last) : null);
			}
			return last ? copy(last) : null;
		},

		checkCC: function (num, cb) {
			var n = String(num === undefined || num === null ? "" : num).replace(/[ -]/g, "");
			if (!digits(n) || n.length < 13 || n.length > 19) {
				return check(cb, 1119);
			}
			return check(cb, luhn(n) ? 0 : 1120);
		},

		checkCVV: function (v, cb) {
			v = String(v === undefined || v === null ? "" : v);
			return check(cb, (v.length === 3 || v.length === 4) && digits(v) ? 0 : 1149);
		},

		checkEXPMM: function (mm, cb) {
			return check(cb, monthCode(mm));
		},

		checkEXPYY: function (yy, cb) {
			return check(cb, yearCode(yy));
		},

		checkEXPDATE: function (mm, yy, cb) {
			var code = monthCode(mm) || yearCode(yy);
			if (code === 0) {
				var now = new Date();
				var year = 2000 + (+yy), month = +mm;
				if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
					code = 1126;
				}
			}
			return check(cb, code);
		},

		checkEMAIL: function (v, cb) {
			v = String(v === undefined || v === null ? "" : v);
			return check(cb, v.length <= 50 && /^[^\s@<>(),;:"\[\]]+@[^\s@<>(),;:"\[\]]+\.[^\s@<>(),;:"\[\]]+$/.test(v) ? 0 : 1127);
		}
	};
})(window, document);
