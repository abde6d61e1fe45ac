"""Writes data/intents/messages.csv: the labelled customer messages the intent classifier is
measured on (bench/intent_bench.py) and tested with (tests/unit/intents).

Every message was written for this project: a few hundred by hand (emails and chat lines of
varied length and tone) and the rest from phrase templates with slots. Then, with a fixed
seed, some are dressed as real mail is (a greeting, a sign-off, a signature after "-- ", a
quoted earlier message), get a typo, lose their capitals or swap British and American
spelling.

Train/test split (about 75/25, per intent, fixed): a hand-written message is its own unit;
all messages of one template family are one unit, so no template's variants sit on both
sides. Messages are deduplicated on their normalised core text before the split.

    .venv/bin/python data/intents/make_messages.py     # rewrites messages.csv beside it
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

SEED = 18
TEST_SHARE = 0.25
VARIANTS_PER_FAMILY = 5
OUT = Path(__file__).with_name("messages.csv")

SLOTS: dict[str, list[str]] = {
    "amount": ["£12.50", "$40", "£89", "€25", "$19.99", "£7.20", "£120", "$250", "£33.10"],
    "month": ["January", "March", "last month's", "October", "this month's", "June",
              "December"],
    "bill": ["bill", "invoice", "statement"],
    "product": ["headphones", "kettle", "phone case", "jacket", "printer ink", "desk lamp",
                "running shoes", "blender", "baby monitor", "office chair"],
    "service": ["broadband", "mobile contract", "subscription", "membership", "TV package",
                "streaming plan", "phone line", "cloud backup"],
    "order": ["order #48213", "order 77120", "my order", "order ref AB-3391",
              "the order I placed on Monday", "order no. 100562", "my last order"],
    "days": ["three days", "a week", "ten days", "two weeks", "5 days", "over a month",
             "4 days"],
    "device": ["router", "app", "set-top box", "phone", "modem", "smart speaker",
               "desktop app", "tablet", "mesh extender"],
    "err": ["E-101", "error 0x80070005", "code 42", "ERR_TIMEOUT", "error 503", "E17",
            "'connection refused'"],
    "plan": ["unlimited", "premium", "basic", "family", "business", "Pro", "starter",
             "Gold"],
    "addon": ["another line", "extra data", "the sports pack", "international calls",
              "a second SIM", "more cloud storage", "the kids channels", "5 more user seats"],
    "who": ["the agent I spoke to yesterday", "your engineer", "the staff in your Leeds store",
            "the way my case has been handled", "your delivery driver",
            "the person on your chat line", "your sales team"],
    "wait": ["40 minutes", "an hour", "over two hours", "45 mins", "an hour and a half",
             "50 minutes"],
    "nth": ["third", "fourth", "fifth", "sixth", "4th", "3rd"],
    "adj": ["appalling", "a joke", "terrible", "disgraceful", "awful", "shocking",
            "pathetic"],
    "code_via": ["by text", "on my phone", "by email", "in the authenticator app", "by SMS"],
    "when": ["yesterday", "on Monday", "last week", "this morning", "since the weekend"],
}

HAND: dict[str, list[str]] = {
    "billing": [
        "Why is my bill higher this month? I haven't changed anything.",
        "Hi, I was charged twice for the same invoice on the 3rd. Can someone look into it?",
        "Can you send me a VAT invoice for last quarter please, our accounts team needs it",
        "my direct debit failed, how do i pay the outstanding balance",
        "I'd like to update the card you take payments from. The old one expires next week.",
        "There's a charge of £14.99 on my statement I don't recognise. What is it for?",
        "When is my next payment due?",
        "Could you explain the line 'service adjustment' on my invoice? Nobody has told me "
        "what it means.",
        "I paid by bank transfer on Friday but the account still shows as overdue.",
        "hello, can I pay annually instead of monthly? Same package, just a different "
        "payment schedule",
        "Please stop sending paper bills, I want them by email.",
        "The invoice is addressed to my old company name, can it be reissued with the right "
        "organisation name?",
        "I got a late payment fee but I paid on time, I have the receipt.",
        "how much do i owe you right now",
        "Your payment page keeps declining my card but the bank says nothing is wrong with it",
        "Is the price going up in April? I got a letter about a tariff increase and want to "
        "understand what I'll pay.",
        "We need invoices sent to our accounts payable address rather than to me personally.",
        "Hi there, my bill says I used 40GB of roaming data but I was not abroad at all",
        "can i pay by paypal",
        "I set up a payment plan for my arrears in January. Has the first instalment gone "
        "through?",
        "Billing query: the pro-rata amount on my first invoice doesn't add up, I joined on "
        "the 18th not the 1st.",
        "Can the monthly payment be split between two cards?",
        "The amount taken by direct debit is different from the amount on the invoice. Which "
        "one is right?",
        "Good afternoon. Please could you confirm the billing address you have on file for "
        "us, we moved offices in May.",
        "i keep getting reminders to pay but I'm on autopay?? whats going on",
        "Where can I download my past statements? I need the last 12 months for my tax "
        "return.",
        "You charged me for a month I was told would be free as part of the promotion.",
        "Why has my bill got a £5 paper statement fee? I never asked for paper.",
        "Can I change the date the payment comes out? Payday is the 28th and the debit "
        "goes out on the 20th.",
        "What does 'balance brought forward' mean on the account summary?",
        "I think you've billed me for the wrong number of users, we only have six.",
        "Could I get an itemised bill showing every call?",
        "My account says I'm in credit by £22, will that come off the next bill?",
        "Why am I paying for a router rental? I bought the router outright.",
        "Hi team, our finance department needs a purchase order number added to every "
        "invoice from now on. Is that possible?",
        "is there a discount if I pay by direct debit instead of card",
        "The bill shows calls to a number in Spain, I have never rung Spain.",
        "I'm struggling to pay this month, can I spread the cost over a few weeks?",
        "What's the VAT number I should quote on our expenses?",
        "Paid twice by accident, once by card and once by bank transfer. Can the extra "
        "sit as credit on the account?",
        "Your bills are impossible to read. What is 'usage charge band C'?",
        "The price on my invoice doesn't match the price I was quoted when I signed up.",
        "I haven't had a bill for three months, is something wrong?",
        "Please send the invoices in the company's name, not mine.",
        "Can I see a breakdown of what I'm paying for each month?",
        "The payment reference on my bank statement is just a number, how do I know it's you?",
        "when does the discount end, I want to budget for the full price",
        "Standing order or direct debit, which do you prefer? Setting up payments now.",
        "There's a one-off charge of £45 labelled 'admin' on this month's statement.",
        "Our accountant says the invoice total and the VAT don't add up.",
        "Could you add my partner as a second payer on the account?",
        "I was told the first three months would be half price but I've been billed in full.",
    ],
    "cancel": [
        "I want to cancel my subscription.",
        "Please close my account at the end of this billing period. I'm moving abroad.",
        "How do I stop my membership from renewing automatically?",
        "i'd like to end my contract, what's the notice period",
        "Cancel my order please, I placed it by mistake 10 minutes ago",
        "We've decided not to continue with your service after the trial. Please make sure "
        "nothing else is taken from our account.",
        "I'm leaving. Don't try to talk me out of it, just confirm the cancellation in "
        "writing.",
        "Can I cancel online or do I have to ring you?",
        "My dad passed away last month and I need to close his account. What do you need "
        "from me?",
        "Terminate the service on line 07700 900123 from the 1st of next month.",
        "What's the early termination fee if I leave 6 months before the contract ends?",
        "No longer need the service, pls cancel asap",
        "I have found a cheaper provider and will be switching. What do I need to do to "
        "leave?",
        "Is there a cooling off period? I signed up yesterday and changed my mind.",
        "Kindly deactivate my account and delete my data.",
        "Hi, I sent a cancellation request two weeks ago and haven't heard back. Is it "
        "actually cancelled?",
        "Please don't renew my plan in March, I don't want it any more.",
        "How do I unsubscribe from the monthly box?",
        "We are closing the business so we won't need the phone lines after June. Please "
        "arrange for them to be cut off.",
        "cancel cancel cancel. I've been trying for an hour to find the button",
        "I'd like to cancel the standing order for the magazine.",
        "Does cancelling now mean I lose access straight away or at the end of the month?",
        "Confirming by email as requested: I wish to terminate my agreement, account number "
        "448120.",
        "Moving in with my partner who already has your broadband, so mine can go.",
        "Please cancel the renewal I was auto-enrolled in, I never agreed to another year.",
        "How do I close my account for good?",
        "I don't want to be a customer any more. Where's the form to leave?",
        "Stop everything on my account from today please, we're done.",
        "Is it possible to end the contract early if I pay off the remaining months?",
        "Just want out. Please process it.",
        "I would like to give 30 days notice to end my membership.",
        "Please cancel the trial before it turns into a paid subscription.",
        "How do I stop the service? I'm not using it at all.",
        "We're emigrating in September, please end all our services before then.",
        "Can you confirm my contract will not auto-renew and will end in August?",
        "I'm cancelling because of the price rise. Please send the final bill.",
        "I no longer want the TV service, please disconnect it.",
        "Please close the second account in my name, I only need the one.",
        "What do I need to return when I leave? The box and the remote?",
        "Opt me out of the renewal please.",
        "I'm writing to end my agreement with you with immediate effect.",
        "Hi, can you tell me how to quit? The website just goes round in circles.",
        "Cancel the booking for Thursday, we can't make it.",
        "Do I get charged for the rest of the contract if I leave now?",
        "I signed up by mistake when buying something else. I want out.",
        "Please end the service at my late mother's address, I have the death certificate.",
        "Could you stop all future deliveries of the box? We're done with it.",
        "I'd like to exercise my right to cancel within 14 days.",
        "The company is being wound up, please terminate every line on the account.",
        "Is it possible to leave without paying the exit fee if I'm moving somewhere you "
        "don't cover?",
        "Take me off the monthly plan entirely, I'm not switching to another one, just stopping.",
        "Please don't charge me again, I'm ending my subscription today.",
    ],
    "delivery": [
        "Where is my order? It was supposed to arrive yesterday.",
        "The tracking number you sent doesn't work on the courier's website.",
        "My parcel says delivered but there's nothing here. I've checked with the neighbours.",
        "Can I change the delivery address for order 55123? I'll be at work that day.",
        "How long does shipping to Ireland usually take?",
        "hi the driver left a card but i was in all day!! when will they try again",
        "Is it possible to pick a delivery slot on Saturday morning?",
        "Order still says 'processing' after 6 days, has it even been dispatched?",
        "Only 2 of the 3 boxes turned up. Is the rest coming separately?",
        "Can the courier leave it in the safe place by the back door?",
        "Do you deliver to PO boxes?",
        "When will the router you're sending me arrive? I need to know so I can be home.",
        "My package has been stuck at the depot since Monday according to tracking.",
        "Could you hold my parcel at the local post office for collection instead?",
        "You sent it to my old address!! I updated it in my profile last week",
        "Estimated delivery keeps changing, first Tuesday now Friday. Which is it?",
        "Is express shipping available? I need it before the weekend.",
        "I need a proof of delivery for order 77812 for our warehouse.",
        "where's my stuff",
        "The tracking hasn't updated in four days, is my parcel lost?",
        "Can you deliver to a neighbour if I'm out?",
        "My zip code is correct but the checkout says you don't ship to my area.",
        "ordered on the 2nd, still nothing. it's the 12th.",
        "Will I need to sign for it?",
        "Please ask the courier to ring the bell, last time they left it on the doorstep "
        "without knocking.",
        "Is there a way to get a text when the van is close?",
        "The parcel went to the wrong house, number 14 instead of 41.",
        "Has my replacement SIM been posted yet?",
        "Which courier do you use for large items like sofas?",
        "It's a gift, can you make sure it arrives before the 24th?",
        "The parcel was left outside in the rain and nobody knocked. Where do I collect "
        "the rest of the order?",
        "Can I rearrange the delivery for next week? I'm away until Monday.",
        "The courier's app says 'exception', what does that mean for my parcel?",
        "My shopping arrived with half the items missing.",
        "Do you ship to Northern Ireland and the Channel Islands?",
        "It's been dispatched but there's no tracking link in the email.",
        "What time will the van come tomorrow? I need to pick the kids up at 3.",
        "Can I collect the order from your store instead of waiting for a courier?",
        "There's a 'failed delivery attempt' note but I was home and the doorbell works.",
        "The box came but it was for someone else, different name on the label.",
        "How much is next day delivery?",
        "my order went to the old flat, can you get it redirected",
        "I've been waiting in all day for a delivery that was meant to be here by noon.",
        "Is my new phone on its way? The site says 'preparing'.",
        "Can you give me the courier's phone number so I can arrange a time?",
        "The pallet is too big for our loading bay, can it come on a smaller van?",
        "International order to Canada, customs has held it, what happens now?",
        "Please leave deliveries with reception, we're on the third floor.",
        "The delivery driver said the address doesn't exist. It does.",
        "Can I add an item to my order before it's sent out?",
        "Do you deliver on Sundays?",
        "Order arrived today but the box was empty apart from the packing paper.",
    ],
    "technical_support": [
        "The app crashes every time I open it on my Android phone.",
        "My internet keeps dropping out in the evenings.",
        "I'm getting error code E-302 when I try to stream anything.",
        "how do i set up the new router, the lights are flashing orange",
        "Wifi is really slow upstairs, is there something I can change in the settings?",
        "The device won't turn on after the latest update.",
        "Voicemail isn't working, callers just hear a beep and then silence.",
        "Since yesterday I can't send emails from Outlook, receiving works fine.",
        "The TV box says 'no signal' on every channel.",
        "Bluetooth won't pair with my car any more.",
        "Is there an outage in my area? Nothing's loading.",
        "The website shows a blank white page when I click checkout, tried Chrome and "
        "Firefox.",
        "My phone shows 'SIM not provisioned'.",
        "Printer is offline even though it's connected to the network.",
        "After the firmware update the speaker keeps disconnecting.",
        "how do i reset the thing to factory settings",
        "Calls keep dropping after about 30 seconds.",
        "I can't get the smart thermostat to connect to my Wi-Fi. It finds the network but "
        "then times out.",
        "The sync between the desktop app and the phone stopped working, my files aren't "
        "showing up.",
        "Getting a certificate warning on your site on my work laptop",
        "No dial tone on the landline since the storm.",
        "The colour settings are all wrong on the display after the update, everything "
        "looks green.",
        "The camera feed lags by about 10 seconds, is that normal?",
        "the modem keeps rebooting itself every few minutes",
        "Hi, the download speed is 3 Mbps but the line should do 100. Can you run a line "
        "test?",
        "Which port on the back should the cable go in?",
        "Mobile data doesn't work abroad even though roaming is turned on.",
        "The video call keeps freezing and the audio is out of sync.",
        "Tried turning it off and on again, still a red light on the front.",
        "Downloads stop at 99% and then fail.",
        "The remote doesn't change the channels any more, I've put new batteries in.",
        "My laptop can see the WiFi network but says 'no internet'.",
        "The app logs me out every time I switch to another app and come back.",
        "How do I forward calls from my landline to my mobile?",
        "Streaming buffers constantly in the evening, fine in the morning.",
        "The smart plug won't show up in the app after I changed the router.",
        "Our office phones have no audio on outbound calls, we can hear them but they "
        "can't hear us.",
        "My email keeps asking for the password even though it's right, on the iPhone "
        "mail app only.",
        "Where do I find the WPS button? The manual shows a different model.",
        "The internet light on the hub is red.",
        "Latency is awful in online games, 300 ms ping.",
        "The recording feature doesn't record anything, just an empty file.",
        "Text messages aren't coming through, calls are fine.",
        "The update failed halfway and now the box is stuck on the logo.",
        "How do I change the WiFi name and password?",
        "My phone gets very hot and the battery drains since your last software update.",
        "The ethernet cable works but the wireless doesn't.",
        "Nothing happens when I press the power button, no lights at all.",
        "Can you check if the fault on the line has been fixed? Still getting crackling.",
        "The PDF export in the web portal produces a blank document.",
        "4G signal is zero bars inside the house but full outside.",
        "Our CCTV system stopped uploading to the cloud overnight.",
    ],
    "account_access": [
        "I can't log in to my account.",
        "I forgot my password and the reset email never arrives.",
        "My account is locked after too many attempts. How do I unlock it?",
        "I'm not receiving the verification code by text.",
        "I changed my phone number and now I can't get the two-factor code.",
        "What's my username? I can't remember which email I signed up with.",
        "it says incorrect password but I know it's right",
        "Someone else may have got into my account, I got an alert about a sign-in from "
        "another country.",
        "The password reset link says it has expired.",
        "How do I change the email address I use to sign in?",
        "I'm stuck in a loop, the login page just keeps coming back after I enter my "
        "details.",
        "My authenticator app was on my old phone, which I lost.",
        "Can you remove the old phone number from my profile so I can set up 2FA again?",
        "locked out AGAIN. third time this week",
        "Hi, my wife set up the online account and she's away, how can I get access to it?",
        "The security questions - I don't remember the answers I set years ago.",
        "My account shows 'suspended' when I try to sign in.",
        "How do I give my colleague their own login to our business account?",
        "Sign in with Google doesn't work any more for me",
        "I never got the activation email so I can't finish creating my account.",
        "I'd like to set a new password, the old one was in a data breach.",
        "PIN not accepted on the phone line, I need it reset.",
        "The login page says 'account not found' but I've been a customer for years.",
        "Got logged out of the app and now it won't let me back in.",
        "How do I turn on two-step verification?",
        "The account recovery form asks for my last payment amount, which I don't know.",
        "I can't access my online account since you moved to the new portal.",
        "The magic link email lands in spam and then says invalid when I click it.",
        "Every time I enter the one-time passcode it says it's wrong.",
        "Can I log in with my account number instead of my email?",
        "I need to reset my password but I no longer have access to that email address.",
        "The app won't accept my fingerprint login any more.",
        "I keep getting 'session expired' straight after logging in.",
        "How do I recover an account I haven't used in years?",
        "Your site says my email is already registered but I can't sign in with it.",
        "I've tried the reset three times and the new password still isn't accepted.",
        "My son changed the password and now neither of us can get in.",
        "The one-time code arrives after it has already expired.",
        "Is there another way to verify it's me? I don't have my old phone any more.",
        "I got an email saying my password was changed, but I didn't change it.",
        "Please unlock the online account for customer 55012, I've answered the security check.",
        "Where do I log in to the business portal? The old link doesn't work.",
        "It tells me to verify my identity but the upload button does nothing.",
        "I can't remember my PIN for the app.",
        "My login works on the website but not in the app.",
        "Can I have access to my late husband's online account to download his records?",
        "The captcha never loads so I can't sign in.",
        "I've lost my backup codes for two-factor authentication.",
        "Why was my account disabled? I can't sign in at all.",
        "The reset email goes to an address I don't use. Can you change it so I can log in?",
        "how do i get back into my profile",
        "Each time I sign in it asks me to create a new password.",
    ],
    "refund": [
        "I'd like a refund for the item I returned last week.",
        "When will I get my money back? You said 5 working days and it's been two weeks.",
        "Please refund the £30 you took after my contract ended.",
        "The product arrived broken and I want a full refund, not a replacement.",
        "How do I return something I bought online and get my money back?",
        "Refund hasn't shown up on my card yet.",
        "You promised a credit for the outage last month, where is it?",
        "can i get my money back, it doesn't fit",
        "I was overcharged and want the difference paid back to my account.",
        "Do you refund the delivery charge if I send it back?",
        "I returned the parcel using the prepaid label. Has it been received and refunded?",
        "The concert was postponed, am I entitled to a refund?",
        "Refund to a different card please, the original one was cancelled by my bank.",
        "Could you reimburse me for the taxi I had to take when the service failed?",
        "I'd like to send back the headphones, they are not what I expected.",
        "Your email says refund processed but the bank says nothing came in. Can you send a "
        "reference?",
        "What is your returns policy for sale items?",
        "I want my deposit back.",
        "The partial refund offered is not enough, I paid 120 and you're giving 40?",
        "Please process the refund for order 99201, I already have the RMA number.",
        "The booking was cancelled by you, so I expect the full amount returned.",
        "How long do refunds take to PayPal?",
        "Still waiting on my refund!!! 3 weeks now",
        "I got two of the same item, I'll send one back, please refund it.",
        "Is store credit the only option or can I get cash back?",
        "Please return the money you took by mistake from my account on the 5th.",
        "The subscription renewed without warning yesterday and I haven't used it. Can I "
        "have that payment back?",
        "The returned item was signed for by your warehouse on the 4th, no refund yet.",
        "I paid for next-day and it came a week late, I want the postage back.",
        "Can the refund go back to my bank account rather than as a voucher?",
        "The sale price dropped the day after I bought it. Can I get the difference back?",
        "My flight was cancelled and the voucher is no use to me. I want cash.",
        "I was charged for a delivery that never came, please return the payment.",
        "I cancelled within the cooling off period, so I expect the full fee back.",
        "Where do I send the returned goods? I want the money back on my card.",
        "The refund you sent is £10 short.",
        "Can I get reimbursed for the repair I paid for while it was under warranty?",
        "Please credit my account for the five days without service.",
        "I bought the wrong size, can I return it for a refund rather than exchange it?",
        "How do I claim the money back for a duplicate payment?",
        "The event was rubbish but that's not why I'm writing, it was cut short by an "
        "hour and I want a partial refund.",
        "Have you received my return yet? I need the money before the end of the month.",
        "I paid the deposit for an installation that never happened, please give it back.",
        "Your returns label won't print, how else can I send it back and be refunded?",
        "The goods were faulty out of the box. Refund, please.",
        "It's been 10 working days since you said the refund was approved.",
        "Can you refund the annual fee? I only used it for a fortnight.",
        "I'd like to return a gift for a refund, I have the gift receipt.",
        "Is the restocking fee taken off my refund?",
        "Please reverse the charge from last Tuesday, I didn't make that purchase.",
        "The bank returned your payment to me by mistake - no wait, the other way round, "
        "you kept my money after the return. Please send it.",
        "Money back please, the course was cancelled.",
    ],
    "plan_change": [
        "I'd like to upgrade to the unlimited plan.",
        "Can I downgrade to a cheaper package? I don't use half of it.",
        "How do I add another line to my account for my son?",
        "Can I move from the personal plan to the business tier?",
        "I need more data every month, what are my options?",
        "Please move me to the 500 Mb broadband from next month.",
        "Is it possible to change plan mid-contract without a fee?",
        "I want to add the sports channels to my package.",
        "Remove the international calling bundle please, I don't need it.",
        "What's the difference between the Standard and Premium plans? Thinking about "
        "switching.",
        "Hi, we've grown to 25 staff, we need more seats on our licence.",
        "can i go back to my old tariff, the new one is worse",
        "Drop the landline from my bundle but keep the broadband.",
        "Upgrade me to fibre if it's available at my address.",
        "I'd like to swap the family plan for a single plan now the kids have left home.",
        "Is there a student plan I could change to?",
        "My contract ends soon, what deals are there if I upgrade my handset?",
        "add 10GB data boost to my plan pls",
        "Can I reduce the number of users on our account from 12 to 8?",
        "Please change my subscription to the annual Pro plan.",
        "I want to try the premium tier, can I change back later if I don't like it?",
        "Does upgrading reset my contract length?",
        "How much would it cost to add Netflix to my current bundle?",
        "We'd like to switch our office to the unlimited calls package.",
        "Lower my speed tier, I work from the office now and don't need gigabit at home.",
        "What plans do you have for someone who mostly just texts?",
        "Add a second SIM to my account with the same allowance.",
        "Could I move to pay as you go instead of a contract?",
        "My usage has gone up, is there a bigger bundle?",
        "Keep my number but put me on the SIM-only deal.",
        "Can I add my daughter to my plan? She needs her own number.",
        "I'd like a bigger data allowance for the next three months only.",
        "Is there a plan with unlimited calls to Europe?",
        "Move us from the team plan to the enterprise plan please.",
        "Can I change my broadband to a faster package when I move house?",
        "We need to take two licences off our subscription, staff have left.",
        "How do I switch to the ad-free version?",
        "Could I change to a cheaper bundle without the movies?",
        "What's the cheapest plan that still includes roaming?",
        "I want to keep my phone but change the tariff.",
        "Switch my membership from off-peak to anytime please.",
        "Can I have a plan with more minutes and less data?",
        "Is there a loyalty upgrade for existing customers?",
        "Please downgrade our account to the free tier.",
        "We'd like the premium support option added to our contract.",
        "Change my box subscription from weekly to fortnightly.",
        "Can two of us share one data allowance?",
        "I'd like to move from the 12-month plan to the rolling monthly one.",
        "Add the HD option to my TV package please.",
        "What happens to my allowance if I change plans halfway through the month?",
        "We're opening a second office, can we extend the package to cover it?",
        "Give me the next speed up, gaming needs it.",
    ],
    "complaint": [
        "I want to make a formal complaint about the way I was treated on the phone today.",
        "Your service has been absolutely terrible for months and nobody cares.",
        "I waited 55 minutes on hold and then got cut off. Unacceptable.",
        "The engineer was rude and left a mess in my kitchen.",
        "I've been promised a call back three times and it never happens.",
        "This is the fourth time I'm writing about the same problem. Please escalate this "
        "to a manager.",
        "I'm disgusted with how my elderly mother was spoken to in your shop.",
        "I'll be taking this to the ombudsman if it's not resolved this week.",
        "Your staff don't listen and keep reading from a script.",
        "Extremely disappointed. I've been a loyal customer for 12 years and this is how you "
        "treat me.",
        "Worst customer service I've ever experienced.",
        "Nobody turned up for the appointment and I took a day off work for it.",
        "Please pass this on to whoever is in charge: your chat agent closed the chat on me "
        "mid sentence.",
        "I'm very unhappy with the reply I got to my last email, it didn't answer anything.",
        "Why do I have to explain my issue again every time I call? Don't you keep notes?",
        "I'd like the name of your complaints manager and a copy of your complaints "
        "procedure.",
        "The salesman lied to me about the contract terms.",
        "Honestly fed up. Every month there's a new problem with you lot.",
        "I was promised compensation and a call from a supervisor, neither happened.",
        "You've sent debt collection letters to my house over a mistake you admitted was "
        "yours.",
        "Your advert was misleading, the speeds are nowhere near what you claimed.",
        "I am writing to express my dissatisfaction with the handling of my case, ref 2231.",
        "shocking service. never again.",
        "Your call centre hung up on me twice.",
        "I'm posting about this online if I don't get a proper answer.",
        "The technician damaged my wall and your office won't take responsibility.",
        "The way your team handled my bereavement was cold and upsetting.",
        "Your store staff ignored me for 20 minutes while chatting to each other.",
        "I have been let down repeatedly and I expect an apology in writing.",
        "Nobody in your company seems to take ownership of anything.",
        "Three engineers, three different answers, and my problem is still not fixed. I "
        "am furious.",
        "Your letter was patronising and I want an apology.",
        "I've been passed between departments for a week and nobody takes responsibility.",
        "The agent promised the fee would be waived and now you're saying it won't be. I "
        "want this investigated.",
        "I'm appalled at the lack of communication from your company.",
        "Your chatbot is useless and I can't reach a human.",
        "I have raised a complaint before and it was closed without anyone contacting me.",
        "Your driver was abusive to my neighbour.",
        "The service in your branch today was a disgrace.",
        "I want compensation for all the time I've wasted on this.",
        "Not good enough. I expect better from a company your size.",
        "I'm making a formal complaint and I'd like a reference number for it.",
        "Your team keep making promises they don't keep.",
        "I was treated like a criminal when I asked a simple question.",
        "Please escalate this, I've had enough of being fobbed off.",
        "My complaint from last month was never answered.",
        "Staff were unhelpful and dismissive on the phone.",
        "I'm going to report you to trading standards.",
        "Absolutely livid with how this has been handled.",
        "Your manager was condescending and refused to give me his name.",
        "The quality of your service has gone downhill badly this year.",
        "I've never been so badly let down by a company.",
    ],
}

FAMILIES: dict[str, list[list[str]]] = {
    "billing": [
        ["I've been charged {amount} twice on my {month} {bill}.",
         "Why is there a double charge of {amount} on my {bill}?",
         "You took {amount} twice this month, please check my {bill}."],
        ["Can you send me a copy of my {month} {bill}?",
         "I need a copy of the {bill} for {month} for my records.",
         "please email me {month} {bill}, I can't find it anywhere"],
        ["My {bill} for the {service} went up by {amount}, why?",
         "Why did my {service} {bill} increase by {amount} this month?",
         "The {service} costs {amount} more than it did, nobody told me."],
        ["How do I change the card I pay for my {service} with?",
         "I want to update my payment details for the {service}.",
         "new bank card, how do I update it for my {service} payments?"],
        ["My direct debit for {amount} bounced, how can I pay it?",
         "Payment of {amount} failed, what do I do to settle the balance?",
         "the {amount} payment didn't go through, can I pay over the phone?"],
    ],
    "cancel": [
        ["I want to cancel my {service}.",
         "Please cancel my {service} from the end of this month.",
         "How do I cancel my {service}?"],
        ["I'm moving to another provider, please close my {service}.",
         "Switching providers next week so I need to end my {service}.",
         "Going with a competitor, please shut down my {service} account."],
        ["Don't renew my {service}, I don't want it any more.",
         "Please turn off auto-renewal on my {service}.",
         "I do not want my {service} to roll over into another year."],
        ["What is the notice period to terminate my {service}?",
         "How much notice do I need to give to end the {service} contract?",
         "If I give notice today when does my {service} finish?"],
        ["Please cancel {order}, I no longer need it.",
         "I'd like to cancel {order} before it ships.",
         "Changed my mind about {order}, please cancel it."],
    ],
    "delivery": [
        ["Where is {order}? It's been {days}.",
         "{order} still hasn't arrived after {days}.",
         "Any update on {order}? Waiting {days} now."],
        ["The tracking for {order} hasn't changed in {days}.",
         "Tracking on {order} is stuck, no movement for {days}.",
         "Courier tracking for {order} shows the same status for {days}."],
        ["Can I change the delivery address for {order}?",
         "Please send {order} to my work address instead.",
         "I've moved, can {order} go to the new address?"],
        ["My {product} was marked as delivered but I never got it.",
         "The courier says the {product} was delivered {when}, it wasn't.",
         "Tracking shows the {product} delivered {when} but there's no parcel."],
        ["When will my {product} be delivered?",
         "What day will the {product} arrive?",
         "Has the {product} been dispatched yet?"],
    ],
    "technical_support": [
        ["My {device} keeps showing {err}.",
         "Getting {err} on the {device} {when}.",
         "What does {err} mean on my {device}?"],
        ["The {device} won't connect to the internet.",
         "My {device} keeps losing connection.",
         "{device} disconnects every few minutes"],
        ["How do I set up the {device}?",
         "Need help installing the new {device}.",
         "The instructions for the {device} make no sense, how do I get it working?"],
        ["The {device} is really slow since the update.",
         "After the update my {device} freezes constantly.",
         "Ever since {when} the {device} has been lagging."],
        ["{device} not working at all, tried restarting it twice.",
         "The {device} stopped working {when}, I've already rebooted it.",
         "My {device} is dead, no lights, nothing."],
    ],
    "account_access": [
        ["I can't log in to my {service} account.",
         "Unable to sign in to my {service} account {when}.",
         "Login to the {service} account fails every time."],
        ["The password reset email for my {service} account never arrives.",
         "I requested a password reset {when} and got nothing.",
         "Reset password link for {service} isn't coming through."],
        ["My account is locked, how do I unlock it?",
         "Locked out of my {service} account after entering the wrong password.",
         "My {service} login has been blocked {when}, please unlock it."],
        ["I'm not getting the verification code {code_via}.",
         "The security code never arrives {code_via}.",
         "No one-time code {code_via}, so I can't get in."],
        ["How do I change the email I sign in with?",
         "I want to update the login email address for my {service}.",
         "My sign-in email is an old work address, how do I change it?"],
    ],
    "refund": [
        ["I returned the {product} {days} ago, where is my refund?",
         "Still no refund for the {product} I sent back {days} ago.",
         "Sent the {product} back {days} ago and still no money."],
        ["I'd like a refund of {amount} for {order}.",
         "Please refund {amount} for {order}.",
         "Can I have the {amount} back for {order}?"],
        ["The {product} arrived damaged, I want my money back.",
         "Broken {product}, please refund me.",
         "The {product} is faulty, I'd rather have a refund than a repair."],
        ["How do I return the {product} for a refund?",
         "Can I send the {product} back and get a refund?",
         "What's the process to return a {product} and be refunded?"],
        ["You owe me {amount} back, when will it be paid?",
         "Please pay back the {amount} you took in error.",
         "I'm due {amount} back from you, when does it arrive?"],
    ],
    "plan_change": [
        ["I want to upgrade to the {plan} plan.",
         "Please upgrade me to {plan}.",
         "How do I move up to the {plan} tier?"],
        ["Can I downgrade my {service} to the {plan} plan?",
         "I'd like to switch my {service} to something cheaper, maybe {plan}.",
         "Is there a smaller {service} option than what I have? {plan} perhaps."],
        ["Please add {addon} to my plan.",
         "How much to add {addon}?",
         "Can {addon} be added to my current package?"],
        ["Please remove {addon} from my plan.",
         "I don't use {addon}, take it off my package.",
         "Can I drop {addon} and keep everything else?"],
        ["Thinking of switching to {plan}, what does it include?",
         "What would I get on the {plan} plan compared with mine?",
         "Would the {plan} package suit me better? I'd like to change."],
    ],
    "complaint": [
        ["I want to complain about {who}.",
         "I wish to make a formal complaint about {who}.",
         "I'm really unhappy with {who}."],
        ["I waited {wait} on hold and nobody answered.",
         "{wait} on hold, then cut off. Ridiculous.",
         "Spent {wait} in your phone queue today, it's not good enough."],
        ["This is the {nth} time I've contacted you about this, please escalate.",
         "{nth} email about the same issue, I want a manager.",
         "I've now raised this a {nth} time and still nothing, I want it escalated."],
        ["Your customer service is {adj}.",
         "Absolutely {adj} service from start to finish.",
         "Honestly {adj}, the way you treat customers."],
        ["I was promised a call back {when} and nobody rang.",
         "Still waiting for the manager to call me back, promised {when}.",
         "You said someone would ring me {when}. Nobody did. Again."],
    ],
}

GREETINGS = ["Hi,", "Hello,", "Hi there,", "Good morning,", "Dear Sir/Madam,", "hey", "Hiya",
             "Hello team,", "Good afternoon,"]
SIGN_OFFS = ["Thanks", "Thank you.", "Cheers, Tom", "Regards,\nAnna Kowalski", "thx",
             "Many thanks,\nR. Patel", "Kind regards\nJ. Smith", "Best,\nMaria"]
SIGNATURES = ["-- \nDavid Brown\nSent from my iPhone",
              "-- \nLinda Okafor | Office Manager | Harbour Dental\nTel 0161 555 0100",
              "-- \nget Outlook for Android"]
QUOTED = ["> On 3 May, Support wrote:\n> Thank you for contacting us about your delivery.\n"
          "> Your reference is 55120.",
          "> Thanks for your message, we will reply within two working days.",
          "> -----Original Message-----\n> Subject: Your bill is ready"]
SPELLING = [("cancelled", "canceled"), ("colour", "color"), ("organisation", "organization"),
            ("licence", "license"), ("centre", "center"), ("neighbours", "neighbors"),
            ("cancelling", "canceling"), ("instalment", "installment")]


def fill(template: str, rnd: random.Random) -> str:
    text = re.sub(r"\{(\w+)\}", lambda m: rnd.choice(SLOTS[m.group(1)]), template)
    return text[0].upper() + text[1:]


def core_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9£$€ ]+", " ", text.lower()).split())


def typo(text: str, rnd: random.Random) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long:
        return text
    i = rnd.choice(long)
    w = words[i]
    j = rnd.randrange(1, len(w) - 2)
    kind = rnd.random()
    if kind < 0.4:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]       # swapped letters
    elif kind < 0.7:
        w = w[:j] + w[j + 1:]                           # a letter dropped
    else:
        w = w[:j] + w[j] + w[j:]                        # a letter doubled
    words[i] = w
    return " ".join(words)


def dress(text: str, rnd: random.Random) -> str:
    """Make a core message look like a real email or chat line (seeded)."""
    for british, american in SPELLING:
        if rnd.random() < 0.5:
            text = text.replace(british, american)
    if rnd.random() < 0.2:
        text = typo(text, rnd)
    if rnd.random() < 0.15:
        text = text.lower()
    parts = [text]
    if rnd.random() < 0.3:
        parts.insert(0, rnd.choice(GREETINGS))
    if rnd.random() < 0.3:
        parts.append(rnd.choice(SIGN_OFFS))
    message = ("\n" if rnd.random() < 0.6 else " ").join(parts)
    if rnd.random() < 0.07:
        message += "\n\n" + rnd.choice(SIGNATURES)
    if rnd.random() < 0.06:
        message += "\n\n" + rnd.choice(QUOTED)
    return message


def units(rnd: random.Random) -> dict[str, list[list[str]]]:
    """Per intent: the units of the split, each a list of core messages (deduplicated)."""
    seen: set[str] = set()
    out: dict[str, list[list[str]]] = {}
    for intent in HAND:
        found: list[list[str]] = []
        for text in HAND[intent]:
            if core_key(text) not in seen:
                seen.add(core_key(text))
                found.append([text])
        for family in FAMILIES[intent]:
            variants: list[str] = []
            for _ in range(VARIANTS_PER_FAMILY * 4):
                if len(variants) == VARIANTS_PER_FAMILY:
                    break
                text = fill(rnd.choice(family), rnd)
                if core_key(text) not in seen:
                    seen.add(core_key(text))
                    variants.append(text)
            found.append(variants)
        out[intent] = found
    return out


def split(groups: list[list[str]], rnd: random.Random) -> tuple[list[str], list[str]]:
    """About TEST_SHARE of the messages to test, whole units at a time (seeded)."""
    order = groups[:]
    rnd.shuffle(order)
    total = sum(len(g) for g in order)
    train: list[str] = []
    test: list[str] = []
    for group in order:
        if len(test) + len(group) <= round(total * TEST_SHARE):
            test += group
        else:
            train += group
    return train, test


def main() -> None:
    rnd = random.Random(SEED)
    rows = []
    for intent, groups in units(rnd).items():
        train, test = split(groups, rnd)
        rows += [(dress(t, rnd), intent, "train") for t in train]
        rows += [(dress(t, rnd), intent, "test") for t in test]
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["text", "intent", "split"])
        writer.writerows(rows)
    counts: dict[tuple[str, str], int] = {}
    for _, intent, part in rows:
        counts[intent, part] = counts.get((intent, part), 0) + 1
    for intent in HAND:
        print(f"{intent:<18} train {counts.get((intent, 'train'), 0):>3}  "
              f"test {counts.get((intent, 'test'), 0):>3}")
    print(f"{len(rows)} messages -> {OUT}")


if __name__ == "__main__":
    main()
