"""The seed's mongoengine models (seeds/001, 数据库设计), unchanged but for two things: the
class order (CrawlerTaskGenerator before CrawlerTask, which references it) and the log
model's class name, spelled as in the seed's heading (CrawlerGeneratorLog; the seed's code
says GrawlerGeneratorLog, whose default collection would be grawler_generator_log).

Usage: python3 seed_models.py MONGODB_URI
Loads every document of the five collections through these models, validates each one,
follows its references, and prints what it read as JSON for test/store/seed-models.test.ts.
"""
import datetime
import json
import sys

from mongoengine import *


class Job(Document):
    (STATUS_ON, STATUS_OFF) = range(1, 3)
    STATUS_CHOICES = (
        (STATUS_ON, u"启用"),
        (STATUS_OFF, u"下线"),
    )
    name = StringField(max_length=128)
    info = StringField(max_length=1024)
    customer = StringField(max_length=128, null=True)
    status = IntField(default=STATUS_ON, choices=STATUS_CHOICES)
    add_datetime = DateTimeField(default= datetime.datetime.now())


class CrawlerTaskGenerator(Document):
    (STATUS_ALPHA, STATUS_BETA, STATUS_PRODUCT, STATUS_ON, STATUS_OFF, STATUS_TEST_FAIL) = range(1, 7)
    STATUS_CHOICES = (
        (STATUS_ALPHA, u"alpha"),
        (STATUS_BETA, u"beta"),
        (STATUS_PRODUCT, u"production"),
        (STATUS_ON, u"启用"),
        (STATUS_OFF, u"下线"),
        (STATUS_TEST_FAIL, u"测试失败"),
    )
    job = ReferenceField(Job)
    code = StringField()  #python code
    cron = StringField(max_length=128)
    status = IntField(default=STATUS_ALPHA, choices=STATUS_CHOICES)
    add_datetime = DateTimeField(default=datetime.datetime.now())


class CrawlerTask(Document):
    (STATUS_LIVE, STATUS_PROCESS, STATUS_FAIL, STATUS_SUCCESS, STATUS_ANALYSIS_FAIL, STATUS_ANALYSIS_SUCCESS) = range(1, 7)
    STATUS_CHOICES = (
        (STATUS_LIVE, u"新增"),
        (STATUS_PROCESS, u"进行中"),
        (STATUS_FAIL, u"下载失败"),
        (STATUS_SUCCESS, u"下载成功"),
        (STATUS_ANALYSIS_FAIL, u"分析失败"),
        (STATUS_ANALYSIS_SUCCESS, u"分析成功"),
    )
    job = ReferenceField(Job,  reverse_delete_rule=CASCADE)
    task_generator = ReferenceField(CrawlerTaskGenerator, null=True)
    uri = StringField(max_length=1024)
    cookie = StringField(max_length=1024,  null=True)
    args = StringField(max_length=1024, null=True)
    status = IntField(default=STATUS_LIVE, choices=STATUS_CHOICES)
    store = StringField(max_length=512, blank=True, null=True)
    add_datetime = DateTimeField(default=datetime.datetime.now())


class CrawlerGeneratorLog(Document):
    (STATUS_FAIL, STATUS_SUCCESS) = range(1, 3)
    STATUS_CHOICES = (
        (STATUS_FAIL, u"失败"),
        (STATUS_SUCCESS, u"成功"),
    )
    job = ReferenceField(Job, reverse_delete_rule=CASCADE)
    task_generator = ReferenceField(CrawlerTaskGenerator)
    status = IntField(default=0, choices=STATUS_CHOICES)
    failed_reason = StringField(max_length=10240, null=True, blank=True)
    content_bytes = IntField(default=0)
    spend_msecs = IntField(default=0) #unit is microsecond
    hostname = StringField(null=True, blank=True, max_length=16)
    add_datetime = DateTimeField(default=datetime.datetime.now())


class CrawlerUriLog(Document):
    (STATUS_FAIL, STATUS_SUCCESS) = range(1, 3)
    STATUS_CHOICES = (
        (STATUS_FAIL, u"失败"),
        (STATUS_SUCCESS, u"成功"),
    )
    job = ReferenceField(Job,  reverse_delete_rule=CASCADE)
    task_generator = ReferenceField(CrawlerTaskGenerator, null= True)
    status = IntField(default=0, choices=STATUS_CHOICES)
    failed_reason = StringField(max_length=10240, null=True)
    content_bytes = IntField(default=0)
    spend_msecs = IntField(default=0) #unit is microsecond
    hostname = StringField(null=True, max_length=16)
    add_datetime = DateTimeField(default=datetime.datetime.now())


def plain(value):
    if isinstance(value, Document):
        return {"$ref": type(value).__name__, "id": str(value.id)}
    if isinstance(value, datetime.datetime):
        return {"$date": value.isoformat()}
    return value


def read(model):
    rows = []
    for document in model.objects.order_by("id"):
        document.validate()  # the seed's own constraints: max_length, choices, types
        row = {"id": str(document.id)}
        for name in document._fields_ordered:
            if name != "id":
                row[name] = plain(getattr(document, name))  # follows references
        rows.append(row)
    return rows


if __name__ == "__main__":
    connect(host=sys.argv[1])
    print(json.dumps({
        "collections": {model.__name__: model._get_collection_name() for model in (Job, CrawlerTask, CrawlerTaskGenerator, CrawlerGeneratorLog, CrawlerUriLog)},
        "Job": read(Job),
        "CrawlerTask": read(CrawlerTask),
        "CrawlerTaskGenerator": read(CrawlerTaskGenerator),
        "CrawlerGeneratorLog": read(CrawlerGeneratorLog),
        "CrawlerUriLog": read(CrawlerUriLog),
    }, ensure_ascii=False))
