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
        "Hi, my landlord needs proof of address. Can you post me a printed bill dated within the "
        "last three months?",
        "what's this £2.50 'payment processing fee'? I've never paid that before",
        "Your letter says prices rise by CPI plus 3.9% from April. How much will my monthly bill "
        "actually be?",
        "My bank cancelled the direct debit mandate by mistake. How do I set it up again so I "
        "don't fall behind?",
        "Please change the billing address on account 88214 to 17 Mill Lane, Bristol BS3 4RT. The "
        "service address stays the same.",
        "bill is wrong",
        "I was billed $61.40 but my plan is $45 a month. Where does the extra $16.40 come from?",
        "Do you accept Apple Pay for the monthly payments?",
        "Hello, I am writing about invoice INV-20931. It still shows our old VAT number and our "
        "auditors will not accept it. Please could you reissue it with GB 284 1120 47 and send it "
        "to finance@brightlinedesign.co.uk. Thank you in advance.",
        "Why is there a charge for calls to 0845 numbers? I thought all calls were included.",
        "Im on a pension and the bill went up again, can you tell me why it is more this time",
        "Can you stop charging my credit card and take the money from my current account instead?",
        "There's a £9.99 charge for something called 'Premium Text Services'. I never signed up "
        "to anything like that.",
        "Is this month's bill paid? I can't tell from the app.",
        "my statement show two different account number, which one i must use for bank transfer?",
        "I've been charged a £35 reconnection fee but I was never disconnected.",
        "We pay quarterly. Can we get one consolidated invoice for all 14 lines instead of 14 "
        "separate ones?",
        "Why does my balance have a minus sign in front of it? Does that mean you owe me or I owe "
        "you?",
        "Can I get a receipt for each payment? My employer reimburses half of my phone bill and "
        "needs proof.",
        "The bill date moved from the 1st to the 15th without any warning and now I've been "
        "charged for an extra half month.",
        "Out-of-bundle charges of £27 for data this month, but the app said I still had 3GB left.",
        "Please explain the early payment discount, I paid on the 2nd and didn't get it.",
        "I moved here from Germany, can I pay with my German IBAN by SEPA direct debit?",
        "hi, the price rise letter said £3 a month more but my bill went up by £6. which is it?",
        "Can you tell me the total I paid you in the 2023/24 tax year? I work from home and claim "
        "part of it back.",
        "Why am I paying line rental when I don't even own a landline phone?",
        "My card payment of £58.20 has shown as pending for a week. Has it actually gone through "
        "on your side?",
        "Invoice total is $1,204 but our PO was for $1,150. Please check the line items.",
        "Is there a fee for paying by cheque?",
        "My ex-partner used to pay the bill from her card. She's moved out, so the payments need "
        "to come from my account now.",
        "When does my 12-month price lock end? I was told my price was fixed.",
        "Got a letter saying I'm £84 in arrears. How? Every payment has gone out on time.",
        "could you resend the last invoice to accounts@harrowfarm.co.uk, the pdf link has expired",
        "I'm being charged for 3 TV boxes but we only ever had 2.",
        "Can I pay off the rest of my phone's device plan in one go? About £212 left I think.",
        "My bill shows roaming charges for France on the 14th to the 16th. Yes, I was in France, "
        "but I have the Europe add-on, so why am I paying extra?",
        "I need a statement of account covering the last 6 months for my mortgage application, "
        "please.",
        "Why does my invoice say 'estimated usage'? How can you estimate a phone bill?",
        "Please could the bills be addressed to Mrs E. Hartley rather than Mr? I'm the account "
        "holder.",
        "i got charged £60 for a missed engineer appointment?? i was home all day and nobody came",
        "Do your prices include VAT or is it added on top?",
        "Can you retry the payment today? There's money in the account now.",
        "Can I have my bills in large print? My eyesight is poor.",
        "Why is there a payment to you on the 8th when my bill date is the 22nd?",
        "Hello, we are a registered charity. Is it possible to be invoiced without VAT, and what "
        "do you need from us?",
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
        "Please cancel my broadband when my contract ends on 30 June. The flat I'm moving to "
        "already has fibre from another company.",
        "cancel the gym membership",
        "My mum has gone into a care home and won't need her landline any more. How do we stop it?",
        "Too expensive since the price rise. I'd like to leave, please tell me what the exit fee "
        "is.",
        "I want to close my account. I'm not happy with the service but I don't want to make a "
        "complaint, I just want to leave.",
        "How do I end my subscription on my iPhone? I don't want to be charged for next month.",
        "Please end my phone contract. The signal at my new house is useless so there's no point "
        "keeping it.",
        "Can I cancel the engineer visit on Friday? We've sorted it out ourselves.",
        "We're done with the whole account, all three lines. Please close it.",
        "Hello, I am student and I go back to my country in July. How I can finish the contract "
        "before?",
        "Please terminate contract 55-08812 at the end of the minimum term. I will return the "
        "router by post.",
        "Can the early exit charge be waived? I've lost my job and simply can't keep paying for "
        "this, so I need to leave.",
        "Please don't send any more boxes. I've had enough of the meal kits and want to stop for "
        "good.",
        "I'd like to cancel, not pause. Please make sure the account is closed, not put on hold.",
        "Stop my newspaper subscription from next Monday please.",
        "Your retention team offered me a discount but I still want to cancel. Please go ahead.",
        "Just close the account, thanks.",
        "I want to leave before the annual renewal on 2 March. What's the latest date I can tell "
        "you?",
        "We've sold the house, so the broadband and phone at 22 Elm Road can be switched off from "
        "completion day, 14 August.",
        "I pressed 'buy' twice, please cancel the second order before it goes out.",
        "cancel my account NOW or I'm calling my bank",
        "My business partner and I are dissolving the company. Please confirm the end date for "
        "all our services in writing.",
        "I'm switching to Vodafone and have my PAC code. Do I need to cancel with you separately?",
        "Can you cancel my husband's contract for me? He's in hospital long term and I have power "
        "of attorney.",
        "I have decided to discontinue the service. Please advise the final date and whether "
        "anything must be sent back.",
        "Close my account and don't send me any marketing either.",
        "I tried the 30 day free thing and it's not for me, please make sure I'm not signed up "
        "after it ends.",
        "Please cancel my pre-order for the Galaxy S24, I've bought one elsewhere.",
        "Since you can't fix the internet I'm ending the contract. I expect no exit fee as the "
        "service never worked properly.",
        "Guten Tag, I want to end my membership, I am moving back to Germany next month.",
        "How do I close my account? I'm going travelling for a year and won't be coming back to "
        "this address.",
        "Can I leave within the first 30 days without paying anything? It's not what I thought I "
        "was buying.",
        "Please end the lease on the two office printers when the agreement runs out in November.",
        "Hi, is there a way to end my streaming subscription from the TV itself? I can't find it "
        "in the menus.",
        "No more. Cancel everything.",
        "Our office is moving to a building with its own phone system, so please cease our 6 ISDN "
        "lines from 1 October.",
        "I've been with you 9 years and I'm off, found a better deal elsewhere. What's my final "
        "date?",
        "How do I cancel the direct debit and close the account at the same time?",
        "If I cancel today, will I get a final bill or does it just stop?",
        "Please close our joint account. My wife and I are separating and we'll each get our own "
        "elsewhere.",
        "I want to end the contract for the alarm monitoring. We're having the whole system taken "
        "out.",
        "Please confirm that my mobile contract has ended and that my number has been released to "
        "my new network.",
        "Not renewing. Please let the contract lapse on the 31st.",
        "Could you cancel my membership? My doctor says I can't exercise for at least a year.",
        "The shop told me I could cancel within 14 days. It's day 9, so please process the "
        "cancellation for order 4471.",
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
        "The courier left my parcel in the recycling bin! Can you tell them to use the porch next "
        "time?",
        "Hi, I'm expecting order 30551 tomorrow but I'll be at the hospital. Can it be delivered "
        "on Thursday instead?",
        "Which courier is bringing my order? The email just says 'our delivery partner'.",
        "Do I have to be in for the router to be delivered or will it fit through the letterbox?",
        "The wardrobe came with no screws or fittings bag. Are the missing parts being sent?",
        "Tracking has said 'out for delivery' since 7am and it's now 9pm.",
        "Is there click and collect at the Croydon store?",
        "my parcel went to a parcel locker I never chose, how do I get the code to open it?",
        "Order AB-77310 shows 'returned to sender'. I never refused it. Can it be sent out again?",
        "Can I get a one-hour delivery window? I work nights and sleep until 2pm.",
        "How do I get my parcel redelivered? I missed the DPD driver this morning.",
        "How long does delivery to the Scottish Highlands take, and is there a surcharge?",
        "The driver needs a code for our gate. Where can I add delivery notes?",
        "Can my neighbour at no. 8 sign for it? I've told them it's coming.",
        "The label says parcel 1 of 2. Where's the second one?",
        "Can the SIM be posted to my work address? Post keeps getting stolen at my flat.",
        "Hello, your website says 'dispatched within 24 hours'. I ordered on Saturday. Does that "
        "count weekends?",
        "My tracking link has said 'awaiting collection from sender' for 3 days. Has it even left "
        "your warehouse?",
        "whens it coming",
        "Can you deliver to a locker at the train station instead of my home?",
        "The courier won't hand over my parcel until I pay import duty. I ordered from your UK "
        "site to Dublin, is that right?",
        "Got the TV but the stand wasn't in the box. Is it being sent separately?",
        "Will the delivery team carry it upstairs? I'm on the 4th floor with no lift and the "
        "fridge weighs 70 kg.",
        "Can I track my order without an account? I checked out as a guest.",
        "The van came at 6:40 in the morning and nobody answered. Please don't send it before 8.",
        "Package is say delivered to 'mailroom' but we don't have mailroom in my building. Where "
        "it is?",
        "Is next-day delivery guaranteed if I order before 10pm?",
        "My parcel is with Evri and they say you have to open the investigation because you're "
        "the sender. It's been missing for 9 days.",
        "Can you send it with a courier that needs a signature instead of Royal Mail? It's an "
        "expensive item.",
        "We ordered 40 chairs for an event on the 18th. Please confirm they'll arrive by the 16th "
        "at the latest, we have nowhere to store them before then.",
        "I'll be on holiday from the 3rd to the 17th, please don't deliver in that time.",
        "The replacement handset still hasn't turned up. You said 2 working days, it's been 5.",
        "The photo on the proof of delivery shows a door that isn't mine.",
        "What does 'held at sorting centre - address query' mean? My address is definitely "
        "correct.",
        "Tracking says 'signed for by RAJ'. Nobody called Raj lives here.",
        "How will I know what day it's coming? I haven't had a single email since I ordered.",
        "Can I pick up from the warehouse myself? I'm 10 minutes away and don't want to wait 5 "
        "days.",
        "Two parcels arrived but the printer cartridges from order 118203 are still missing.",
        "please stop leaving my parcels at the shop on the corner, it shuts at 5 and I can't "
        "collect",
        "Can you ship to an APO address?",
        "My order shows delivered to 'front door' but I live in an apartment with a locked lobby.",
        "Can I get same-day delivery in central London?",
        "Hi! The UPS driver has tried twice. After the third try does it go back to you or to a "
        "depot?",
        "Will my order come in one parcel or several? I want to be home for all of it.",
        "Tracking shows my parcel went to Birmingham, then back to Leeds, then Birmingham again. "
        "Is it going round in circles?",
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
        "My iPhone 13 says 'No Service' since I put your SIM in.",
        "Version 4.2 of your app closes itself as soon as I tap on Payments.",
        "The router is really hot to the touch and smells a bit burnt. Is that safe?",
        "How do I set up voicemail on my new number?",
        "Can't pair the earbuds with my laptop, they pair with my phone fine.",
        "Error 1020 on the TV app whenever I start a film, other apps are fine.",
        "The wifi drops every time the microwave is on, is that a thing?",
        "my laptop wont find the 5GHz network, only the 2.4 one",
        "How do I turn on Wi-Fi calling on a Pixel 7?",
        "Getting DNS_PROBE_FINISHED_NXDOMAIN on some sites but not others.",
        "The eSIM QR code won't scan, it says 'This code is no longer valid'.",
        "Hi, after you changed my plan yesterday my mobile data stopped working. Calls and texts "
        "are fine.",
        "The smart meter display has been blank for a week.",
        "The mesh disc in the bedroom shows a purple light, the others are white. What does that "
        "mean?",
        "Since the price went up my speeds have got worse. Can someone check the line? I'm "
        "getting 12 Mbps on a 70 Mbps package.",
        "Phone overheats when I use the hotspot and then the hotspot switches itself off.",
        "the tv keeps asking me to rescan for channels every morning",
        "How do I block a number from calling me?",
        "Cannot send picture messages, texts are fine. It's an older Motorola.",
        "Our VoIP phones all show 'registration failed' since the router was replaced.",
        "I lose signal in the kitchen only, every other room is fine.",
        "There's an echo on every call, the other person hears themselves.",
        "The watch app shows 'unable to sync, code 7' and won't update my steps.",
        "Parental controls: how do I stop my son getting on the internet after 10pm?",
        "The printer only prints blank pages since I changed the cartridge.",
        "I can't make calls abroad, it says 'call barred'.",
        "Hello, I am using your router since two weeks and every night around 2 am the internet "
        "is stop for 10 minutes. Is this maintenance or problem on my side?",
        "Netflix works but your streaming app buffers forever, same TV, same wifi.",
        "My computer says the network cable is unplugged but it's definitely plugged in.",
        "How do I update the router firmware manually?",
        "The battery on the baby monitor camera dies within 2 hours now, it used to last all "
        "night.",
        "The Chromecast isn't showing up as a device in your app.",
        "keyboard on the tablet types the wrong letters after the update",
        "Port forwarding for my game server isn't working even though I set it on the router "
        "page. Port 25565 TCP.",
        "The landline rings once at my end and then goes silent, but callers hear it ringing out.",
        "What are the APN settings for your network? My unlocked phone has no data.",
        "Every time I plug in the set-top box the fuse trips.",
        "Can I switch the router to WPA2 only? My security camera won't join a WPA3 network.",
        "The tablet screen flickers when the brightness is under half.",
        "Since porting my number, people on your network can't call me. Everyone else can.",
        "Emails from our domain have been going to customers' spam folders since yesterday. We "
        "host the domain and mail with you. Can you check the SPF and DKIM records?",
        "Speed test shows 900 down but only 2 up. Is the upload capped or broken?",
        "how do i connect the new printer to wifi, its an HP Envy",
        "The doorbell camera keeps saying 'device offline' even though it's two metres from the "
        "router.",
        "Good evening. Since Sunday the set-top box freezes for a few seconds every time I change "
        "channel, and sometimes the sound carries on from the previous channel. I have unplugged "
        "it for a minute as your website suggests, but nothing changed. Is there a fix?",
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
        "I changed banks and now the security check asks for the last 4 digits of my old card, "
        "which I don't have. Can I get into my account another way?",
        "Is there a way to use a security key like a YubiKey instead of text codes when I log in?",
        "I've got two accounts with different emails and can't tell which one has my contract. "
        "Can you help me sign in to the right one?",
        "Your site says 'too many attempts, try again in 24 hours'. I can't wait a day, I need to "
        "pay my bill today.",
        "Please reset the password on my online account, username jpatel82.",
        "My account has been hacked. The email and phone number on it were changed and I can't "
        "sign in.",
        "How do I add my husband as an authorised user so he can log in and manage the account "
        "too?",
        "i cant remember my password or my memorable word, help",
        "The verification email says 'link already used' but I only clicked it once.",
        "Why does the app ask me to verify my identity every single time I open it?",
        "Please remove my former business partner's login from our online account, he has left "
        "the company.",
        "The 6-digit code keeps going to my old number ending 442.",
        "I'm trying to register for an online account and it says my account number is invalid.",
        "My passkey works on my Mac but not on my Windows laptop. How do I sign in there?",
        "The voice ID on your phone line hasn't recognised me since I had a cold.",
        "How do I change my password? I'm logged in but can't find the option anywhere.",
        "I put the wrong date of birth in when I signed up and now the identity check fails.",
        "Someone keeps trying to reset my password, I'm getting reset emails I never asked for.",
        "Please log me out of all devices, I left myself signed in on a library computer.",
        "My account got locked after my daughter tried guessing the password on the tablet.",
        "Can you send the one-time code by voice call instead? I can't read texts well.",
        "My old employer set up my account and I've left. How do I move it to my personal email "
        "so I can still log in?",
        "Where do I sign in to see my orders? There's no account link anywhere on the page.",
        "I'm being asked for a 'customer PIN' to access my account online, but I never set one.",
        "Cannot login. Tried everything. Help.",
        "We need to regain access to the admin account for our company. The only admin was our IT "
        "guy, and he has left without handing over the password or the phone the codes go to.",
        "The sign-in page rejects my email because it has a plus sign in it, like "
        "anna+shop@gmail.com. It used to work.",
        "Please unlock my account. I've been locked out since I travelled to Portugal, I think "
        "you flagged it as fraud.",
        "I got an email asking me to confirm a new device sign-in from Lagos. That's not me! "
        "Please lock my account.",
        "Hey, how do I switch off the two-factor thing? It's a pain every time I sign in.",
        "The 'forgot username' link takes me to a 404 page.",
        "I tried signing up again with the same email because I couldn't get in, and now it says "
        "duplicate account.",
        "My mother is 87 and can't manage the login herself. Can I be given access to her account?",
        "It says my password has to be changed every 90 days, but the change screen won't accept "
        "any new password.",
        "Could you tell me which phone number is registered for the security codes? I need to "
        "know if it's my old one.",
        "I'm a new customer and I still haven't received my login details.",
        "The password reset text arrives but the link opens a page that says 'something went "
        "wrong'.",
        "can i have my account unlocked please, ref 6612-A",
        "After your website redesign my saved password in Chrome doesn't log me in any more.",
        "The app's login says 'device not trusted'. How do I make it trusted?",
        "When I sign in with Apple it creates a blank new account instead of opening my existing "
        "one.",
        "You sent me a temporary password but it says it has expired, and I haven't even used it "
        "yet.",
        "Hi, my login email is my son's address and he's moved abroad. How can I sign in without "
        "it?",
        "How do I set up a memorable word so I can get into my account over the phone?",
        "Locked out of the customer portal and our payroll runs tomorrow. Urgent.",
        "The QR code sign-in on the TV app times out before I can scan it with my phone.",
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
        "I cancelled my order before it shipped. When will the money go back on my card?",
        "I returned the jacket at your Manchester store. They said the refund would take 3 days, "
        "it's been 8.",
        "Please refund my annual membership, I only signed up because of a misleading advert.",
        "Your site charged me in dollars and my bank added a conversion fee. Can you refund the "
        "fee?",
        "You cancelled my order because it was out of stock, but the money was still taken. "
        "Please return it.",
        "Can I return opened makeup for a refund?",
        "Hi, I need a refund on order 63342, the blender doesn't fit under our kitchen cupboards.",
        "How do I get a refund for an in-app purchase made by mistake? My kid bought 1,200 coins.",
        "The return window is 30 days and I'm on day 32 because I was in hospital. Could you "
        "still accept it for a refund?",
        "Hello, I still not receive my money back for the shoes I send back on 4 May.",
        "Refund status please, RMA 55812.",
        "The voucher you gave me expired before I could use it. Can I have the money instead?",
        "Partial refund please: 2 of the 6 glasses arrived broken.",
        "Can I get a refund of the unused credit on my pay as you go SIM? I'm leaving the country.",
        "I was charged the full price instead of the discount code price. Please refund the £15 "
        "difference.",
        "I'd like my money back for the hotel booking, it was nothing like the photos.",
        "My return was rejected for 'signs of use'. I only tried it on. I want my refund.",
        "I returned one item from a multi-buy. Why has the refund been reduced?",
        "Got a 'refund issued' email but the amount on it is zero.",
        "Your engineer never fixed the fault, so I'm asking for the £75 call-out fee to be "
        "refunded.",
        "Could the refund be put on a gift card instead? I'd rather have credit to spend.",
        "I paid a deposit to book a table and you closed that night. I want my deposit back.",
        "My warranty claim was approved and the shop said I'd get my money back rather than a "
        "repair. When?",
        "I'd like to return this printer, unopened and still in its box. Is there a charge for "
        "that?",
        "I bought a season ticket and now I'm moving away. Can I get a pro rata refund for the "
        "months left?",
        "Chargeback? No, I'd rather sort it with you. Please just refund the £120.",
        "Your returns portal says 'not eligible' for order 74019 but it's within the 14 days.",
        "I've sent back the faulty router as you asked. Please refund the £35 I paid for it.",
        "The courier lost the dress I was returning. I have proof of postage. Can I still be "
        "refunded?",
        "Hi, I overpaid my final bill by £40 after closing my account. Please send it back to my "
        "bank.",
        "Refund pls",
        "The airline refunded me but your booking fee of £18 wasn't. Can I have that back too?",
        "Please refund the subscription payment you took on the 3rd. I cancelled on the 1st and "
        "have the email to prove it.",
        "I'd like to return the laptop within the 30 days. How do I get a returns label, and when "
        "will I be paid back?",
        "My refund went to an old card that's been closed. The bank says it'll bounce back to "
        "you. What happens then?",
        "The event organiser says refunds are handled by you as the ticket seller. How do I apply?",
        "If I return both pairs of boots, will the refund come in one go?",
        "My grandmother was talked into a £300 package she doesn't understand and has never used. "
        "We'd like the money returned to her please.",
        "Is the £50 admin fee refundable if the installation doesn't go ahead?",
        "I bought the same tickets twice by accident, booking refs K88 and K91. Please refund one "
        "of them.",
        "The hotel refunded the room but not the parking I prepaid through your site.",
        "Can the refund be given in cash? I paid cash in the shop.",
        "My order arrived after the party it was for, so it's no use now. I want to send it back "
        "and be refunded.",
        "Excuse me, the store gave me a credit note but I asked for a refund to my card. Can that "
        "be changed?",
        "Dear customer services, on 2 October I bought a coffee machine from your website (order "
        "58820) for £189. It leaked from the first use, and your technician confirmed a cracked "
        "tank. I do not want another one. Please refund the full amount to the card I paid with.",
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
        "Can I bump my data from 10GB to 30GB? Keep everything else the same.",
        "I'd like to go SIM-only now that my phone is paid off.",
        "Is there a cheaper tariff for over-65s? I'd like to switch if so.",
        "The football season's over, please take the sports pack off until August.",
        "Can I upgrade my phone early? I'm 18 months into a 24-month contract.",
        "We're hiring 3 new people next week, please add 3 seats to our workspace plan.",
        "Could you move me onto the Essentials broadband? I only use it for email and the news.",
        "What upgrades can I get on my contract? Account ending 4410.",
        "Add a landline to my broadband please, my mum doesn't like mobiles.",
        "Is it possible to combine my mobile and broadband into one bundle for a discount?",
        "please change my plan to the 5G one",
        "I'm going to Spain for 3 months. Can I add a roaming pass to my plan just for that time?",
        "My teenager doesn't need unlimited data any more, move her line down to 5GB.",
        "We want to change our business broadband from 80 Mb to 900 Mb full fibre. What's "
        "involved?",
        "Can I add a smartwatch to my mobile plan so it shares my number?",
        "Upgrade request: customer 30917 would like to move from Standard 50 to Superfast 150 at "
        "the same address, from the next billing cycle.",
        "Is there any way to keep my old price if I downgrade? The new plans all look dearer.",
        "we don't watch the tv anymore, just want internet only. can u remove the tv part",
        "200GB isn't enough for all the photos any more, can I go up to the 2TB storage plan?",
        "I call my family in Lagos every week. Is there a bundle for Nigeria I can add on?",
        "Please switch our plan from Team to Business Plus when the current term ends.",
        "I keep running out of minutes before the month's up. What's the next plan up?",
        "Switch me to the off-peak electricity tariff please, we run the washing machine at night "
        "anyway.",
        "I'd like to move from a 24-month to an 18-month plan with a new handset, is that an "
        "option?",
        "Can you take the Spotify extra off my plan? I've got my own account now.",
        "Does my package let me add Disney+? If so, please add it.",
        "Please convert my pay as you go number to a monthly plan, I want to keep the same number.",
        "Change my broadband to the 1Gb package, I'm working from home full time now.",
        "Can I add the Whole Home Wi-Fi add-on, the one with the extra discs, to my broadband "
        "package?",
        "Drop us down to the Basic plan for January and February, it's our quiet season.",
        "Can we move 10 of our users from the Premium licence to Standard? They only need email.",
        "i want 2 add my wife to my account, she's got her own phone already, just needs a SIM",
        "Is Unlimited Max worth it over Unlimited? I'd switch if the speeds abroad are better.",
        "Can I change my tablet to a data-only SIM instead of the full plan?",
        "Please upgrade our hosting to the next package, we've run out of disk space.",
        "My work pays for my phone now, so I'd like to put my personal line on the smallest plan "
        "you have.",
        "Could you add anytime calls to my broadband? At the moment I only have evenings and "
        "weekends.",
        "Can I pause the sports channels for the summer and add them back in September?",
        "Would I save money switching to the 12-month SIM-only deal? I'm paying £38 a month with "
        "a handset I paid off last year.",
        "Kindly change my current subscription from Gold to Platinum with immediate effect.",
        "Hello, for the coming school year we need 40 more student licences added to the school's "
        "account.",
        "Can I get faster upload speeds? I stream on Twitch. Which package would that be?",
        "Are there any plans with Wi-Fi calling and eSIM? I'd move to one.",
        "Please reduce my box from 4 meals to 2 meals a week.",
        "I want to change my plan but I'm not sure which one. I use about 50GB a month and mostly "
        "call landlines. What would you suggest?",
        "Put me back on the basic plan but DON'T close my account, I still want it.",
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
        "I'd like to complain about the engineer who came on Tuesday. He was on his phone the "
        "whole time and left without testing anything.",
        "I'm not asking for a refund, I'm asking for someone to admit you got this wrong.",
        "I'm complaining about how the price rise was communicated. A two-line text and no letter "
        "is disrespectful to long-standing customers.",
        "Your delivery driver threw my parcel over the gate and it broke. I want to complain "
        "about him, not just get a replacement.",
        "Your adviser Mark was brilliant, but your processes are a shambles. I want this raised "
        "with someone senior.",
        "I am very upset. I have told your colleagues three times that I am deaf and need contact "
        "by email, and you keep ringing me.",
        "Formal complaint, case 88012. It hasn't been resolved in 8 weeks, so please send me the "
        "deadlock letter so I can go to the ombudsman.",
        "Why is it impossible to speak to a manager in your company?",
        "Poor, poor service. 0/10.",
        "Your shop assistant laughed at me when I asked how to use the phone.",
        "i have been chasing you for six weeks and all i get is 'we're looking into it'. enough.",
        "The engineer didn't wear shoe covers even though I asked him to, in a house with a "
        "newborn. Not acceptable.",
        "Your collections team phoned me at 9pm on a Sunday. That's harassment.",
        "I'm writing to complain about the tone of your last letter, which threatened legal "
        "action over £3.",
        "The customer service in your Oxford Street store is the worst I have ever had. They told "
        "me to go online and walked off.",
        "I want a written apology for my details being sent to another customer.",
        "You cut my broadband off by mistake, then charged me to reconnect it, and nobody will "
        "take responsibility. I want someone senior to look at how this was handled.",
        "I'm disabled and your engineer refused to put the router where I can reach it. I'm very "
        "unhappy with his attitude.",
        "Can I speak to someone about how badly the last three months have gone? I'm not happy "
        "and I want it on record.",
        "Your chat agent pasted the same answer four times without reading my question.",
        "Your salesperson signed my 80-year-old father up to a contract he didn't understand. "
        "This is disgraceful.",
        "How do I escalate a complaint to the CEO's office?",
        "Nothing but excuses. You should be ashamed.",
        "Feedback: the survey after my call cut off before I could say how bad the call was.",
        "I asked for a female engineer for religious reasons and a man turned up without warning.",
        "Third missed installation. This time I'm complaining formally and I want compensation "
        "for the earnings I've lost.",
        "Your website is so confusing it took me an hour to find a phone number. Whoever designed "
        "it should be embarrassed.",
        "I am writing on behalf of my client, Mrs A. Nowak, to raise a complaint about the "
        "conduct of your sales representatives during a home visit on 12 March. She felt "
        "pressured and was not given time to read the agreement. Please acknowledge this letter "
        "and confirm who will investigate.",
        "Your agent swore at me.",
        "The hold music is the same 10 seconds on a loop for half an hour, it's torture. Sort it "
        "out.",
        "Dreadful experience in your shop. Staff were rude to my son because he's autistic.",
        "I'm fed up of being told it's 'a known issue' for four months.",
        "Complaint ref C-4471 was closed as 'resolved' but nothing was resolved. Reopen it.",
        "I turned up for my appointment in your store, waited 50 minutes and was then told to "
        "come back tomorrow.",
        "Your social media team replied to my public post with my account number in it. Seriously?",
        "Arrogant, dismissive technician today. He talked down to me the whole visit.",
        "The letter you sent to my late husband, after I had told you he'd died, was deeply "
        "hurtful.",
        "I want to raise a grievance about the handling of my account. Who should I address it to?",
        "Honestly, every contact with your company is a battle. I'm exhausted.",
        "you are the worst company i have ever dealt with and i will tell everyone",
        "Hello, I wish to complain. Your agent say me I am lying when I explain my problem. This "
        "is very rude for me.",
        "Your sales team keep ringing me even though I've said no thank you five times.",
        "Your staff discussed my account loudly in front of other customers in the store.",
        "I'm going to the press with this if someone senior doesn't get in touch by Friday.",
        "Please note my dissatisfaction with your cancellation process. It should not take five "
        "phone calls to leave a company.",
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
