#ifndef WC_H_
#define WC_H_

int count_words(const char* text);

#endif  // WC_H_
