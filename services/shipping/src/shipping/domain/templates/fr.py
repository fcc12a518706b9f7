"""Les e-mails aux clients en français (mêmes clés que `en`)."""

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
DATE = "{day} {month} {year}"  # 14 mai 2030 (le 1er du mois : « 1er mai »)

STRINGS = {
    "ref": "votre commande {order_no}",
    "ref_unnumbered": "votre commande",
    "greeting": "Bonjour {name},",
    "greeting_unnamed": "Bonjour,",
    "thanks": "Merci pour votre commande.",
    "items": "Articles :",
    "item": "  - {quantity} {unit} {sku}",
    "item_lot": "  - {quantity} {unit} {sku} (lot {lot_no})",
    "status_link": "Suivez votre commande à tout moment sur cette page privée (ne partagez pas ce lien) :",

    "confirmation.subject": "Nous avons bien reçu {ref}",
    "confirmation.intro": "Merci : nous avons bien reçu {ref} et nous la préparons.",
    "confirmation.promised": "Nous l'expédierons au plus tard le {date}.",
    "confirmation.undated": "Nous vous écrirons la date d'expédition dès que nous la connaîtrons.",

    "dated.subject": "{Ref} sera expédiée au plus tard le {date}",
    "dated.body": "Nous savons maintenant quand {ref} partira : nous l'expédierons au plus tard le {date}.",

    "status_link.subject": "Un nouveau lien privé pour suivre {ref}",
    "status_link.body": "Voici un nouveau lien privé pour suivre {ref} ; l'ancien ne fonctionne plus :",
    "status_link.withdrawn": "Le lien privé pour suivre {ref} a été retiré ; demandez-nous-en un nouveau si besoin.",

    "shipped.subject": "{Ref} a été expédiée ({carrier} {tracking_no})",
    "shipped.subject_partial": "Une partie de {ref} a été expédiée ({carrier} {tracking_no})",
    "shipped.subject_rest": "Le reste de {ref} a été expédié ({carrier} {tracking_no})",
    "shipped.intro": "{Ref} est en route.",
    "shipped.intro_partial": "Une partie de {ref} est en route.",
    "shipped.intro_rest": "Le reste de {ref} est en route.",
    "shipped.backorder": "Les autres articles suivront dans un prochain envoi ; nous vous écrirons à leur départ.",
    "shipped.carrier": "Transporteur : {carrier}",
    "shipped.tracking": "Numéro de suivi : {tracking_no}",

    "delivered.subject": "{Ref} a été livrée",
    "delivered.body": "{carrier} a livré le colis de {ref} (numéro de suivi {tracking_no}) le {date}.",
    "delivered.help": "S'il manque quelque chose ou si un article est abîmé, répondez à cet e-mail.",

    "delayed.subject": "{Ref} sera expédiée plus tard que prévu",
    "delayed.body": "Nous avions promis d'expédier {ref} au plus tard le {promised} ; "
                    "nous prévoyons maintenant de l'expédier le {expected}.",
    "delayed.sorry": "Veuillez nous excuser pour ce retard. Nous vous écrirons à nouveau si la date change encore.",
    "delayed.thanks": "Merci de votre patience.",

    "recall.subject": "Avis de rappel : articles de {ref}",
    "recall.intro": "Nous rappelons des articles que vous avez reçus avec {ref}.",
    "recall.reason": "Motif : {reason}",
    "recall.items": "Articles concernés :",
    "recall.item": "  - {quantity} {unit} {sku} (lot {lot_no}), {when}{parcel}",
    "recall.shipped_on": "expédié le {date}",
    "recall.shipped": "expédié",
    "recall.parcel": " par {carrier} (suivi {tracking_no})",
    "recall.action": "Merci de ne pas utiliser ces articles. Répondez à cet e-mail pour nous confirmer la réception de cet avis ;\n"
                     "nous organiserons le retour ou le remplacement.",
    "recall.sorry": "Veuillez nous excuser pour ce désagrément.",
}
