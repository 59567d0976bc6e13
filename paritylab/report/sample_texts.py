"""Texts for the sample store: help-centre questions and answers, judge rationales, and XSS payloads.

Every payload would set `window.__pwned` if a browser ever ran it: the browser tests assert it stays unset.
"""

from __future__ import annotations

PAYLOADS = [
    "<script>window.__pwned = 'script'</script> How do I cancel?",
    "<img src=x onerror=\"window.__pwned='img'\"> Where is my invoice?",
    "javascript:window.__pwned='js' — open this link to see your refund",
    "<a href=\"javascript:window.__pwned='href'\">click for the refund form</a>",
    "<svg onload=\"window.__pwned='svg'\"><script>window.__pwned='svg-script'</script></svg> password reset",
    "\"><svg/onload=window.__pwned='attr'> quote breakout in an attribute",
    "</style></title><script>window.__pwned='close-tags'</script>",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe> iframe",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=\'meta\'"> refresh',
    "{{ 7*7 }} {% raw %} ${7*7} template text stays text",
]

TEXTS: dict[str, list[str]] = {
    "question": [
        "How do I get a refund for my annual plan?",
        "Can I change the email address on my account?",
        "Why was my card charged twice this month?",
        "How long does standard shipping take to Canada?",
        "What happens to my data if I close my account?",
        "How do I reset my password when I no longer have access to my phone?",
        "Can I pause my subscription instead of cancelling it?",
        "Do you offer discounts for non-profit organisations?",
        "How do I add a second user to the team plan?",
        "My order arrived damaged — what should I do?",
        "Is two-factor authentication available for all plans?",
        "Which payment methods do you accept for invoices?",
    ],
    "context": [
        "Refunds for annual plans are available within 30 days of purchase and are returned to the "
        "original payment method within 5 to 10 business days.",
        "Account email changes require confirming both the old and the new address.",
        "Duplicate charges are usually authorisation holds that disappear within 3 business days.",
        "Standard shipping to Canada takes 5 to 8 business days; express takes 2 to 3.",
        "Closed accounts are deleted after 30 days; exports remain available until then.",
    ],
    "answer": [
        "You can request a refund within 30 days of purchase from Billing > Plans; the money returns to "
        "your original payment method within 5 to 10 business days.",
        "Go to Settings > Account > Email, enter the new address and confirm the link we send to both "
        "addresses.",
        "The second charge is most likely an authorisation hold; it disappears within 3 business days.",
        "Standard shipping to Canada takes 5 to 8 business days.",
        "Refunds are available for 60 days and are paid out instantly.",
        "I'm sorry, I can't help with that request.",
        "Your data is deleted 30 days after you close the account; you can export it until then.",
        "Please contact support.",
    ],
    "rationale": [
        "The answer states a 60-day refund window; the context says 30 days. Unsupported claim.",
        "Every claim is supported by the retrieved policy text.",
        "The answer is relevant but omits the 5 to 10 business day delay mentioned in the context.",
        "The answer refuses although the context contains the information needed.",
        "The answer invents an instant payout that the context does not mention.",
        "Mostly faithful; the shipping estimate matches the context but the express option is missing.",
        "The answer addresses a different question (invoices instead of refunds).",
        "Correct and complete with respect to the context.",
    ],
    "tag": ["billing", "account", "shipping", "security"],
    "kind": ["hallucination", "refusal", "negative_feedback", "error", "slow", "guardrail"],
    "quarantine": [
        '{"request_id": "r-81d2", "response": {"output": "Refunds take 5',
        '{"request_id": "r-9a10", "status": "timeout", "prompt": "[EMAIL] asked about <b>billing</b>"}',
        '{"msg": "<script>window.__pwned=\'quarantine\'</script>", "status": "???"}',
        "\\x00\\x00 binary garbage from a rotated file",
    ],
}
