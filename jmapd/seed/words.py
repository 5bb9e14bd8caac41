"""Word lists the text generator draws from.

The English list is ordered roughly by real-world frequency: the generator assigns
Zipf weights by position, so the head ("the", "of", "and") dominates exactly as in
real mail and a full-text index sees the same skew it would see in production.
The lists are literals (not read from the system dictionary) so every machine
produces the same vocabulary.
"""

ENGLISH = """
the of and to a in is it you that he was for on are with as his they be at one
have this from or had by but what some we can out other were all there when up
use your how said an each she which do their time if will way about many then
them write would like so these her long make thing see him two has look more day
could go come did number sound no most people my over know water than call first
who may down side been now find any new work part take get place made live where
after back little only round man year came show every good me give our under name
very through just form sentence great think say help low line turn cause much
mean before move right boy old too same tell does set three want air well also
play small end put home read hand port large spell add even land here must big
high such follow act why ask men change went light kind off need house picture
try us again animal point mother world near build self earth father head stand
own page should country found answer school grow study still learn plant cover
food sun four between state keep eye never last let thought city tree cross farm
hard start might story saw far sea draw left late run while press close night
real life few north open seem together next white children begin got walk
example ease paper group always music those both mark often letter until mile
river car feet care second book carry took science eat room friend began idea
fish mountain stop once base hear horse cut sure watch color face wood main
enough plain girl usual young ready above ever red list though feel talk bird
soon body dog family direct pose leave song measure door product black short
class wind question happen complete ship area half rock order fire south
problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach
fast verb sing listen six table travel less morning ten simple several vowel
toward war lay against pattern slow center love person money serve appear road
map rain rule govern pull cold notice voice unit power town fine certain fly
fall lead cry dark machine note wait plan figure star box noun field rest
correct able pound done beauty drive stood contain front teach week final gave
green quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue
object decide surface deep moon island foot system busy test record boat common
gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate miss brought heat snow tire bring yes distant fill east paint language
among grand ball yet wave drop heart present heavy dance engine position arm
wide sail material size vary settle speak weight general ice matter circle pair
include divide syllable felt perhaps pick sudden count square reason length
represent art subject region energy hunt probable bed brother egg ride cell
believe fraction forest sit race window store summer train sleep prove lone leg
exercise wall catch mount wish sky board joy winter sat written wild instrument
kept glass grass cow job edge sign visit past soft fun bright gas weather month
million bear finish happy hope flower clothe strange gone jump baby eight
village meet root buy raise solve metal whether push seven paragraph third shall
held hair describe cook floor either result burn hill safe cat century consider
type law bit coast copy phrase silent tall sand soil roll temperature finger
industry value fight lie beat excite natural view sense ear else quite broke
case middle kill son lake moment scale loud spring observe child straight
consonant nation dictionary milk speed method organ pay age section dress cloud
surprise quiet stone tiny climb cool design poor lot experiment bottom key iron
single stick flat twenty skin smile crease hole trade melody trip office receive
row mouth exact symbol die least trouble shout except wrote seed tone join
suggest clean break lady yard rise bad blow oil blood touch grew cent mix team
wire cost lost brown wear garden equal sent choose fell fit flow fair bank
collect save control decimal gentle woman captain practice separate difficult
doctor please protect noon whose locate ring character insect caught period
indicate radio spoke atom human history effect electric expect crop modern
element hit student corner party supply bone rail imagine provide agree thus
capital chair danger fruit rich thick soldier process operate guess necessary
sharp wing create neighbor wash bat rather crowd corn compare poem string bell
depend meat rub tube famous dollar stream fear sight thin triangle planet hurry
chief colony clock mine tie enter major fresh search send yellow gun allow print
dead spot desert suit current lift rose continue block chart hat sell success
company subtract event particular deal swim term opposite wife shoe shoulder
spread arrange camp invent cotton born determine quart nine truck noise level
chance gather shop stretch throw shine property column molecule select wrong
gray repeat require broad prepare salt nose plural anger claim continent oxygen
sugar death pretty skill women season solution magnet silver thank branch match
suffix especially fig afraid huge sister steel discuss forward similar guide
experience score apple bought led pitch coat mass card band rope slip win dream
evening condition feed tool total basic smell valley nor double seat arrive
master track parent shore division sheet substance favor connect post spend
chord fat glad original share station dad bread charge proper bar offer segment
duck instant market degree populate chick dear enemy reply drink occur
support speech nature range steam motion path liquid log meant quotient teeth
shell neck
meeting project team update schedule review deadline release budget report
client customer invoice payment contract proposal draft document attached
attachment file folder version feature issue bug ticket fix patch branch merge
commit deploy deployment server database backup cluster network latency
request response error warning failure incident outage monitor alert dashboard
metric analysis estimate forecast quarter quarterly annual revenue sales
marketing campaign launch product roadmap milestone sprint backlog priority
stakeholder manager director engineer developer designer analyst intern
colleague office remote hybrid travel flight hotel booking reservation
conference workshop training session agenda minutes summary action item
followup reminder confirm confirmation available availability calendar
invite invitation call discussion feedback comment suggestion approval
approve approved pending complete completed progress status blocked risk
mitigation plan planning strategy goal objective target result outcome
decision option alternative recommendation requirement specification
design architecture prototype demo presentation slide deck spreadsheet
template policy procedure process compliance security privacy password
account login access permission role admin user profile settings
configuration install upgrade migrate migration support vendor partner
supplier order shipment delivery tracking receipt refund discount offer
subscription newsletter unsubscribe event webinar register registration
holiday vacation leave weekend monday tuesday wednesday thursday friday
saturday sunday january february march april june july august september
october november december morning afternoon tonight tomorrow yesterday
today thanks thank regards best cheers hello hi dear sorry apologies
please kindly appreciate appreciated happy glad hope hoping looking forward
question questions answer answers concern concerns detail details info
information note notes link links page website portal email emails message
messages thread inbox reply replied forward forwarded mailing list lists
archive archived label labels search filter sort tag tags read unread
phone mobile number address street city country postal code zip region
team teams group groups department finance legal hr operations engineering
research sales support infrastructure platform service services api sdk
library module package dependency dependencies build builds pipeline test
tests testing coverage benchmark performance memory storage disk cpu cache
index query queries latency throughput scaling scale capacity cost costs
license licensing open source community contributor maintainer review
reviews reviewer merge request pull issue issues roadmap changelog notes
draft drafts final finalize finalized version versions revision revisions
sign signed signature contract agreement terms conditions renewal renew
expire expired expiry deadline deadlines extension extend postpone delay
delayed cancel cancelled reschedule rescheduled confirm confirmed
lunch dinner coffee breakfast party celebration birthday anniversary gift
kids school weekend trip beach mountains hiking running cycling football
concert movie tickets restaurant recipe garden house apartment rent move
doctor appointment dentist insurance tax taxes bank loan mortgage savings
photo photos picture pictures video videos album share shared sharing
quick brief short long detailed rough initial early late latest recent
previous upcoming current next last final important urgent critical minor
major small big huge tiny simple complex easy hard clear unclear sure
unsure likely unlikely possible impossible great good fine okay bad worse
worst better best new old fresh stale open closed public private internal
external global local manual automatic automated weekly daily monthly yearly
however therefore although because unless whereas meanwhile otherwise
actually basically probably definitely certainly maybe perhaps honestly
already almost nearly exactly roughly around about approximately instead
regarding concerning including following attached below above earlier
later soon asap eventually finally currently recently previously
ahead behind during within without across along among beyond despite
except toward towards upon via versus per
"""

# Short lists for non-English bodies.  Latin-script ones are chosen so some
# messages can be sent in ISO-8859-1 and others in UTF-8.
GERMAN = """
der die das und ist nicht mit für auf dem den ein eine sich auch wir ich sie
über nächste Woche Besprechung Grüße Bericht Änderung Prüfung möglich müssen
können würde schön Mädchen Straße größer früher später Übersicht Rückmeldung
Unterstützung Vorschlag Entwurf Termin Zeitplan Kosten Angebot Rechnung bitte
danke vielen herzliche Projekt Ergebnis Lösung Frage Antwort heute morgen
"""

FRENCH = """
le la les et est pas avec pour sur un une nous vous je il elle réunion équipe
prochaine semaine déjà très été où après à ça français élève problème résumé
deuxième première année précédent développement sécurité entrée côté
proposition facture paiement réponse question merci cordialement bonjour
projet résultat solution délai calendrier coût offre document demain aujourd
"""

SPANISH = """
el la los las y es no con para en un una nosotros usted yo él ella reunión
equipo próxima semana también información más está aquí año niño señor
mañana después según análisis número página teléfono dirección gestión
propuesta factura pago respuesta pregunta gracias saludos hola proyecto
resultado solución plazo calendario costo oferta documento hoy
"""

RUSSIAN = """
и в не на я что с он как это по но они мы вы к у же за бы от из о так
встреча команда неделя отчёт проект результат решение вопрос ответ спасибо
пожалуйста здравствуйте документ договор счёт оплата срок план задача
сервер база данных ошибка исправление релиз версия обновление понедельник
вторник среда четверг пятница сегодня завтра вчера коллеги привет всем
"""

CHINESE = """
我们 你们 他们 今天 明天 会议 项目 进度 报告 问题 回答 谢谢 请 文件 附件 合同
发票 付款 时间 安排 计划 任务 服务器 数据库 错误 修复 版本 更新 客户 团队 经理
工程师 测试 发布 需求 设计 讨论 确认 通知 下周 上周 星期一 星期五 已经 需要
可以 应该 非常 重要 紧急 关于 以及 但是 因为 所以 如果 还是
"""

JAPANESE = """
私たち 皆さん 今日 明日 会議 打ち合わせ プロジェクト 進捗 報告 質問 回答
ありがとう ございます よろしく お願い します 資料 添付 契約 請求書 支払い
時間 予定 計画 タスク サーバー データベース エラー 修正 バージョン 更新
お客様 チーム 部長 エンジニア テスト リリース 要件 設計 検討 確認 連絡
来週 先週 月曜日 金曜日 すでに 必要 できます 重要 至急 について です ます
"""

# Whole subjects per language, so that a subject reads as a phrase rather than
# a bag of words; non-English subjects exercise RFC 2047 decoding.
SUBJECTS = {
    "de": [
        "Besprechung nächste Woche",
        "Grüße aus München",
        "Änderungen am Entwurf",
        "Rückmeldung zum Angebot",
        "Übersicht der Kosten für Q3",
        "Termin für die Prüfung",
    ],
    "fr": [
        "Réunion de l'équipe",
        "Facture du mois précédent",
        "Résumé de la deuxième réunion",
        "Problème de sécurité à l'entrée",
        "Proposition pour l'année prochaine",
        "Café après la présentation ?",
    ],
    "es": [
        "Reunión del equipo",
        "Información del proyecto",
        "Próxima semana: análisis",
        "Factura de año pasado",
        "Número de teléfono y dirección",
        "Mañana a las diez",
    ],
    "ru": [
        "Отчёт за квартал",
        "Встреча в понедельник",
        "Вопрос по договору",
        "Ошибка на сервере базы данных",
        "План релиза новой версии",
        "Счёт на оплату",
    ],
    "zh": [
        "会议通知",
        "项目进度报告",
        "关于下周的安排",
        "发票和付款问题",
        "服务器错误修复",
        "新版本发布计划",
    ],
    "ja": [
        "打ち合わせの件",
        "来週の予定について",
        "請求書のご確認をお願いします",
        "プロジェクト進捗報告",
        "サーバーエラーの修正について",
        "新バージョンのリリース",
    ],
}

# Subjects that many unrelated threads share, so a server's subject-based
# threading heuristics get exercised against threads that must stay apart.
GENERIC_SUBJECTS = [
    "Hello",
    "Quick question",
    "Meeting notes",
    "Follow up",
    "Update",
    "Lunch?",
    "Invoice",
    "Checking in",
    "Thanks!",
    "Documents",
]

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa
Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven
Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda
Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca
Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela
Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Priya Arjun Wei Mei Kenji Yuki Omar Fatima Lars Ingrid Pieter Anouk Marco Giulia
"""

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee
Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young
Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
Rivera Campbell Mitchell Carter Roberts Patel Shah Chen Wang Tanaka Sato Haddad
Larsen Jansen Bakker Rossi Bianchi Kowalski Novak O'Brien Murphy Kelly Byrne
"""

# (display name, ASCII mailbox local part, charset a client would pick for it).
# "latin1" names are representable in ISO-8859-1, so some senders encode them
# that way; the rest only fit UTF-8.
NON_ASCII_PEOPLE = [
    ("José García", "jose.garcia", "latin1"),
    ("François Dupont", "francois.dupont", "latin1"),
    ("Jürgen Müller", "juergen.mueller", "latin1"),
    ("Søren Ødegård", "soren.odegard", "latin1"),
    ("Inês Conceição", "ines.conceicao", "latin1"),
    ("Zoë Brontë", "zoe.bronte", "latin1"),
    ("Björn Åström", "bjorn.astrom", "latin1"),
    ("Renée Lefèvre", "renee.lefevre", "latin1"),
    ("Łukasz Wiśniewski", "lukasz.wisniewski", "utf8"),
    ("Antonín Dvořák", "antonin.dvorak", "utf8"),
    ("Ștefan Popescu", "stefan.popescu", "utf8"),
    ("Иван Петров", "ivan.petrov", "utf8"),
    ("Мария Смирнова", "maria.smirnova", "utf8"),
    ("Алексей Кузнецов", "aleksei.kuznetsov", "utf8"),
    ("王伟", "wang.wei", "utf8"),
    ("李娜", "li.na", "utf8"),
    ("张敏", "zhang.min", "utf8"),
    ("山田太郎", "taro.yamada", "utf8"),
    ("佐藤花子", "hanako.sato", "utf8"),
    ("鈴木一郎", "ichiro.suzuki", "utf8"),
    ("Ελένη Παπαδοπούλου", "eleni.papadopoulou", "utf8"),
]

# Attachment names outside ASCII, written with RFC 2231 parameters.
NON_ASCII_FILENAMES = [
    ("Résumé José.pdf", "latin1"),
    ("Präsentation Übersicht.pdf", "latin1"),
    ("Facture année 2023.pdf", "latin1"),
    ("Отчёт за квартал.pdf", "utf8"),
    ("会议记录.pdf", "utf8"),
    ("見積書_最終版.pdf", "utf8"),
    ("Zdjęcie z wycieczki.png", "utf8"),
    ("Διάγραμμα αρχιτεκτονικής.png", "utf8"),
]
