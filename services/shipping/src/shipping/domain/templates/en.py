"""The customer e-mails in English. Placeholders in braces are filled by
`shipping.domain.notification`; the same keys exist in every language module."""

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DATE = "{day} {month} {year}"  # 14 May 2030

STRINGS = {
    "ref": "your order {order_no}",
    "ref_unnumbered": "your order",
    "greeting": "Hello {name},",
    "greeting_unnamed": "Hello,",
    "thanks": "Thank you for your order.",
    "items": "Items:",
    "item": "  - {quantity} {unit} {sku}",
    "item_lot": "  - {quantity} {unit} {sku} (lot {lot_no})",
    "status_link": "Follow your order at any time on this private page (do not share the link):",

    "confirmation.subject": "We received {ref}",
    "confirmation.intro": "Thank you: we received {ref} and are preparing it.",
    "confirmation.promised": "We will ship it by {date}.",
    "confirmation.undated": "We will e-mail you the shipping date as soon as we know it.",

    "dated.subject": "{Ref} will ship by {date}",
    "dated.body": "We now know when {ref} leaves: we will ship it by {date}.",

    "status_link.subject": "A new private link to follow {ref}",
    "status_link.body": "Here is a new private link to follow {ref}; the previous one no longer works:",
    "status_link.withdrawn": "The private link to follow {ref} has been withdrawn; ask us for a new one if you need it.",

    "shipped.subject": "{Ref} has shipped ({carrier} {tracking_no})",
    "shipped.subject_partial": "Part of {ref} has shipped ({carrier} {tracking_no})",
    "shipped.subject_rest": "The rest of {ref} has shipped ({carrier} {tracking_no})",
    "shipped.intro": "{Ref} is on its way.",
    "shipped.intro_partial": "Part of {ref} is on its way.",
    "shipped.intro_rest": "The rest of {ref} is on its way.",
    "shipped.backorder": "The remaining items follow in a later shipment; we will e-mail you when they leave.",
    "shipped.carrier": "Carrier: {carrier}",
    "shipped.tracking": "Tracking number: {tracking_no}",

    "delivered.subject": "{Ref} has been delivered",
    "delivered.body": "{carrier} delivered the parcel of {ref} (tracking number {tracking_no}) on {date}.",
    "delivered.help": "If anything is missing or damaged, reply to this e-mail.",

    "delayed.subject": "{Ref} will ship later than promised",
    "delayed.body": "We promised to ship {ref} by {promised}; we now expect to ship it on {expected}.",
    "delayed.sorry": "We are sorry for the delay. We will write again if the date changes once more.",
    "delayed.thanks": "Thank you for your patience.",

    "recall.subject": "Recall notice: goods from {ref}",
    "recall.intro": "We are recalling goods that you received with {ref}.",
    "recall.reason": "Reason: {reason}",
    "recall.items": "Affected items:",
    "recall.item": "  - {quantity} {unit} {sku} (lot {lot_no}), {when}{parcel}",
    "recall.shipped_on": "shipped {date}",
    "recall.shipped": "shipped",
    "recall.parcel": " with {carrier} (tracking {tracking_no})",
    "recall.action": "Please do not use these items. Reply to this e-mail to tell us you received this notice,\n"
                     "and we will arrange the return or a replacement.",
    "recall.sorry": "We are sorry for the trouble.",
}
